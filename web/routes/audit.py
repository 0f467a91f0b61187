"""Journal d'audit (administrators): who did what, filtered by actor, action and date."""

import datetime

import bottle

from vigie.daemon.core.models import AuditLog

from .. import auth
from ..render import int_arg, page, query

PAGE_SIZE = 100

# The journal stores stable action codes; people read these words.
ACTION_LABELS = {
    "login": "connexion", "login.fail": "connexion refusée", "login.lock": "compte verrouillé",
    "login.locked": "connexion à un compte verrouillé", "login.throttled": "connexions freinées",
    "logout": "déconnexion",
    "user.add": "compte créé", "user.role": "rôle changé", "user.disable": "compte désactivé",
    "user.enable": "compte réactivé", "user.delete": "compte supprimé", "user.password": "mot de passe changé",
    "user.unlock": "compte déverrouillé", "token.add": "jeton d'API créé", "token.delete": "jeton d'API supprimé",
    "member.add": "adhérent ajouté", "member.update": "adhérent modifié", "member.status": "statut d'adhérent",
    "member.erase": "adhérent effacé", "member.import": "adhérent importé", "member.import.file": "fichier importé",
    "member.export": "export des adhérents", "member.rgpd_export": "export RGPD d'un adhérent",
    "alert.send": "alerte envoyée", "alert.cancel": "alerte annulée", "alert.resend_failed": "échecs renvoyés",
    "zone.add": "zone créée", "zone.update": "zone modifiée", "zone.delete": "zone supprimée",
    "sector.add": "groupe de secteurs créé", "sector.update": "groupe de secteurs modifié",
    "sector.delete": "groupe de secteurs supprimé",
    "preset.add": "modèle créé", "preset.update": "modèle modifié", "preset.delete": "modèle supprimé",
    "optout.stop": "désinscription (STOP)", "optout.start": "réinscription (START)",
    "button.hold": "bouton d'alerte : alerte envoyée", "button.short": "bouton d'alerte : appui court",
    "button.refused": "bouton d'alerte : refus", "button.error": "bouton d'alerte : erreur",
    "backup.create": "sauvegarde", "retention.purge": "purge de l'historique", "sirene.fill": "complément SIRENE",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def _day_start(text: str) -> float | None:
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%d").timestamp()
    except ValueError:
        return None


@auth.requires("audit")
def journal():
    actor, action = query("acteur").strip(), query("action").strip()
    start, end = query("du").strip(), query("au").strip()
    offset = int_arg(query("debut"), 0, minimum=0)
    rows = AuditLog.select()
    error = ""
    if actor:
        rows = rows.where(AuditLog.actor == actor)
    if action:
        rows = rows.where(AuditLog.action.startswith(action))
    for text, op in ((start, "from"), (end, "to")):
        if not text:
            continue
        ts = _day_start(text)
        if ts is None:
            error = f"Date « {text} » invalide (attendu : AAAA-MM-JJ)."
            continue
        rows = rows.where(AuditLog.at >= ts) if op == "from" else rows.where(AuditLog.at < ts + 86400)
    total = rows.count()
    rows = rows.order_by(AuditLog.at.desc(), AuditLog.id.desc()).offset(offset).limit(PAGE_SIZE)
    actors = [r.actor for r in AuditLog.select(AuditLog.actor).distinct().order_by(AuditLog.actor)]
    actions = [r.action for r in AuditLog.select(AuditLog.action).distinct().order_by(AuditLog.action)]
    return page("audit", title="Journal d'audit", rows=list(rows), total=total, offset=offset,
                page_size=PAGE_SIZE, actors=actors, actions=actions, error=error, action_label=action_label,
                filters=dict(acteur=actor, action=action, du=start, au=end))


def register(app: bottle.Bottle) -> None:
    app.route("/journal", "GET", journal)
