"""The audit trail: one function records, called wherever a person or the button changes something;
the others say it in French for the people who read the journal (console, CSV export)."""

import json

from vigie.daemon.core.models import AuditLog
from vigie.daemon.core.reference.french import plural

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
    "alert.schedule": "alerte programmée", "alert.start": "alerte programmée partie",
    "alert.reschedule": "alerte programmée modifiée", "alert.expired": "alerte programmée expirée",
    "member.naf2025": "code NAF 2025 proposé appliqué", "optout.override": "envoi malgré un STOP",
    "inbox.treated": "message reçu traité", "inbox.reopened": "message reçu rouvert",
    "inbox.reply": "réponse à un message reçu",
}

# Sentences for the actions that concern many: « Alerte envoyée à 158 destinataires par chef ».
COUNTED = {
    "alert.send": ("Alerte envoyée", "destinataire"), "alert.schedule": ("Alerte programmée", "destinataire"),
    "alert.start": ("Alerte programmée partie", "destinataire"), "alert.cancel": ("Alerte annulée", "envoi annulé"),
    "alert.resend_failed": ("Échecs renvoyés", "message"), "button.hold": ("Bouton d'alerte : alerte envoyée",
                                                                         "destinataire"),
    "member.import.file": ("Fichier d'adhérents importé", "ligne"), "retention.purge": ("Historique purgé", "message"),
}
DETAIL_LABELS = {"text": "texte", "targeting": "ciblage", "source": "origine", "preset": "modèle",
                 "priority": "priorité", "exercise": "exercice", "ack": "accusé de lecture", "urgent": "urgente",
                 "fields": "champs", "name": "nom", "start_at": "départ", "reason": "motif", "role": "rôle",
                 "secondes": "secondes", "cancelled": "envois en attente annulés",
                 "confirmation": "confirmation envoyée", "tokens_revoked": "jetons d'API révoqués",
                 "wait": "attente imposée (s)", "by": "freinage", "message": "message"}


def record(actor: str, action: str, target: str = "", detail=None, count: int | None = None) -> AuditLog:
    if detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail, ensure_ascii=False, sort_keys=True)
    return AuditLog.create(actor=actor or "inconnu", action=action, target=str(target),
                           detail=detail or "", count=count)


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def actor_label(actor: str) -> str:
    """« cli:root » → « root (ligne de commande) », « bouton » → « bouton d'alerte »."""
    if actor.startswith("cli:"):
        return f"{actor[4:]} (ligne de commande)"
    if actor.startswith("sms:"):
        return f"SMS du {actor[4:]}"
    if actor.startswith("api:"):
        return f"{actor[4:]} (API)"
    return {"bouton": "bouton d'alerte", "démon": "la box", "demon": "la box"}.get(actor, actor)


def _value(value) -> str:
    if value is True:
        return "oui"
    if value is False:
        return "non"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def detail_text(detail: str) -> str:
    """The stored JSON detail as « texte : … ; ciblage : … »; plain text stays as it is."""
    try:
        data = json.loads(detail) if detail else {}
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return detail
    return " ; ".join(f"{DETAIL_LABELS.get(k, k.replace('_', ' '))} : {_value(v)}" for k, v in data.items()
                      if v not in ("", None, [], {}))


def sentence(row: AuditLog) -> str:
    """One journal line in words: « Alerte envoyée à 158 destinataires par chef (alerte n° 12) »."""
    who = actor_label(row.actor)
    about = f" ({row.target.replace('alerte ', 'alerte n° ')})" if row.target else ""
    if row.action in COUNTED and row.count is not None:
        what, noun = COUNTED[row.action]
        counted = plural(row.count, noun, "envois annulés" if noun == "envoi annulé" else None)
        return f"{what} à {counted} par {who}{about}" if row.action.startswith(("alert", "button")) \
            else f"{what} ({counted}) par {who}{about}"
    label = action_label(row.action)
    return f"{label[:1].upper()}{label[1:]} par {who}{about}"
