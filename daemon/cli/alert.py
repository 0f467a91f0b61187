"""`vigie alert` (send, show, list, cancel, resend-failed) and `vigie purge` (alert history retention)."""

from vigie.daemon.cli._common import fmt_time, iso_time, open_db, print_json
from vigie.daemon.cli._targeting import actor, add_targeting_arguments, targeting_from_args
from vigie.daemon.core import alerts, control, quotas, retention, schedule, targeting
from vigie.daemon.core.outbox import LABELS, State
from vigie.daemon.core.reference import smstext
from vigie.daemon.core.reference.french import plural


def register(sub):
    p = sub.add_parser("alert", help="envoyer et suivre les alertes")
    s = p.add_subparsers(dest="alert_command", metavar="ACTION")
    s.required = True

    a = s.add_parser("send", help="envoyer une alerte aux adhérents ciblés")
    a.add_argument("--text", required=True, metavar="TEXTE", help="texte du SMS")
    add_targeting_arguments(a)
    a.add_argument("--expires-hours", type=float, metavar="H",
                   help=f"abandonner les envois non faits après H heures, {alerts.MAX_EXPIRY_HOURS} au plus "
                        "(défaut : configuration)")
    a.add_argument("--priority", type=int, default=0, metavar="N", help="priorité (100 = urgence)")
    a.add_argument("--transliterate", action="store_true",
                   help="remplacer les caractères hors alphabet GSM (ç, œ, guillemets...) pour rester en 7 bits")
    a.add_argument("--at", metavar="QUAND",
                   help="heure de départ, heure de Paris (« 2026-12-02 08:00 ») : l'alerte attend jusque-là")
    a.add_argument("--non-urgent", action="store_true",
                   help="alerte non urgente : elle attend la fin des heures calmes ([alerts] quiet_hours)")
    a.add_argument("--ack", action="store_true",
                   help="demander aux destinataires de répondre OK (texte ajouté, compté dans les SMS)")
    a.add_argument("--exercise", action="store_true",
                   help="exercice : chaque SMS commence par « EXERCICE – », compté à part dans les statistiques")
    a.add_argument("--dry-run", action="store_true", help="compter les destinataires sans rien envoyer")
    a.add_argument("--json", action="store_true", help="sortie JSON")
    a.set_defaults(func=run_send)

    e = s.add_parser("edit", help="modifier une alerte programmée avant son départ")
    e.add_argument("id", type=int, metavar="ID")
    e.add_argument("--text", metavar="TEXTE", help="nouveau texte")
    e.add_argument("--at", metavar="QUAND", help="nouvelle heure de départ (heure de Paris)")
    urgency = e.add_mutually_exclusive_group()
    urgency.add_argument("--non-urgent", action="store_true", help="la rendre non urgente")
    urgency.add_argument("--urgent", action="store_true", help="la rendre urgente (n'attend pas les heures calmes)")
    e.add_argument("--json", action="store_true", help="sortie JSON")
    e.set_defaults(func=run_edit)

    sh = s.add_parser("show", help="état d'une alerte, destinataire par destinataire")
    sh.add_argument("id", type=int, metavar="ID")
    sh.add_argument("--state", metavar="ÉTAT", help="seulement les messages dans cet état (failed, delivered...)")
    sh.add_argument("--json", action="store_true", help="sortie JSON")
    sh.set_defaults(func=run_show)

    ls = s.add_parser("list", help="dernières alertes")
    ls.add_argument("--limit", type=int, default=50, metavar="N")
    ls.add_argument("--json", action="store_true", help="sortie JSON")
    ls.set_defaults(func=run_list)

    c = s.add_parser("cancel", help="annuler les envois pas encore faits d'une alerte")
    c.add_argument("id", type=int, metavar="ID")
    c.set_defaults(func=run_cancel)

    r = s.add_parser("resend-failed", help="renvoyer aux destinataires en échec")
    r.add_argument("id", type=int, metavar="ID")
    r.set_defaults(func=run_resend)

    pu = sub.add_parser("purge", help="supprimer l'historique des messages plus ancien que la durée de conservation")
    pu.add_argument("--days", type=int, metavar="N", help="durée de conservation en jours (défaut : configuration)")
    pu.add_argument("--json", action="store_true", help="sortie JSON")
    pu.set_defaults(func=run_purge)


def run_send(args) -> int:
    settings = open_db(args)
    text = smstext.transliterate(args.text) if args.transliterate else args.text
    t = targeting_from_args(args)
    at = schedule.parse_when(args.at) if args.at else None
    alert = alerts.create(text, t, settings=settings, author=actor(), source="cli", priority=args.priority,
                          valid_hours=args.expires_hours, dry_run=args.dry_run, at=at, urgent=not args.non_urgent,
                          ack=args.ack, exercise=args.exercise)
    if not args.dry_run and not alert.start_at:
        control.wake(settings.daemon.control_socket)     # the daemon's workers start now, not at their poll
    total = alert.recipient_count * alert.parts
    seconds = targeting.estimate_seconds(total, settings)
    correspondence = targeting.correspondence(t)
    warning = quotas.alert_warning(settings, {r.phone for r in targeting.resolve(t)}, alert.parts) \
        if alert.recipient_count else ""
    if args.json:
        print_json({"id": alert.id, "recipients": alert.recipient_count, "parts": alert.parts,
                    "encoding": alert.encoding, "sms_total": total, "estimated_seconds": seconds,
                    "dry_run": bool(args.dry_run), "targeting": t.describe(), "text": alert.text,
                    "state": alert.state, "start_at": iso_time(alert.start_at), "urgent": bool(alert.urgent),
                    "ack": bool(alert.ack), "exercise": bool(alert.exercise), "sample_text": alert.sample_text,
                    "naf_correspondence": correspondence,
                    "quota_warning": warning or None})
        return 0
    _print_correspondence(correspondence)
    encoding = "GSM 7 bits" if alert.encoding == "gsm7" else "Unicode (UCS-2)"
    minutes = f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"
    what = "Exercice" if alert.exercise else "Alerte"
    start = f", départ le {schedule.fmt_paris(alert.start_at)}" if alert.start_at else ""
    count = plural(alert.recipient_count, "destinataire")
    if args.dry_run:
        print(f"Simulation : {count} ({t.describe()}), {plural(alert.parts, 'SMS', 'SMS')} chacun "
              f"({encoding}), {plural(total, 'SMS', 'SMS')} au total, environ {minutes}{start}. "
              "Rien n'a été envoyé.")
    elif alert.start_at:
        print(f"{what} n° {alert.id} programmé{'' if what == 'Exercice' else 'e'} : départ le "
              f"{schedule.fmt_paris(alert.start_at)}, {count} aujourd'hui ({t.describe()}), "
              f"{plural(alert.parts, 'SMS', 'SMS')} chacun ({encoding}).")
    else:
        print(f"{what} n° {alert.id} en file : {count} ({t.describe()}), "
              f"{plural(alert.parts, 'SMS', 'SMS')} chacun ({encoding}), {plural(total, 'SMS', 'SMS')} au total, "
              f"environ {minutes}.")
    if alert.sample_text != alert.text:
        print(f"Texte pour le premier destinataire : {alert.sample_text}")
    if warning:
        print(f"Attention : {warning}")
    return 0


def run_edit(args) -> int:
    settings = open_db(args)
    urgent = True if args.urgent else (False if args.non_urgent else None)
    alert = alerts.reschedule(args.id, actor(), settings=settings, text=args.text,
                              at=schedule.parse_when(args.at) if args.at else None, urgent=urgent)
    if args.json:
        print_json({"id": alert.id, "state": alert.state, "start_at": iso_time(alert.start_at),
                    "text": alert.text, "urgent": bool(alert.urgent)})
    else:
        print(f"Alerte n° {alert.id} modifiée : départ le {schedule.fmt_paris(alert.start_at)}.")
    return 0


def _print_correspondence(c: dict) -> None:
    """Members reached through the NAF rév. 2 ↔ NAF 2025 correspondence, and the multiple links left out."""
    if not c["total"]:
        return
    print(f"Correspondance NAF rév. 2 ↔ NAF 2025 : {plural(c['single'], 'adhérent atteint', 'adhérents atteints')} "
          f"par un lien unique, {c['multiple']} par un lien multiple"
          + (" (inclus, --include-multiple)." if c["multiple_included"] else "."))
    for m in c["multiple_members"]:
        state = "inclus" if m["included"] else "laissé de côté (--include-multiple ou --member SIRET pour l'inclure)"
        print(f"  {m['siret'] or '—':<14}  {m['name'][:40]:<40}  {m['code']} : {state}")


def run_show(args) -> int:
    open_db(args)
    summary = alerts.summary(args.id)
    rows = alerts.recipients(args.id, state=args.state)
    if args.json:
        summary = dict(summary, created_at=iso_time(summary["created_at"]),
                       completed_at=iso_time(summary["completed_at"]),
                       expires_at=iso_time(summary["expires_at"]))
        summary["start_at"] = iso_time(summary["start_at"])
        summary["recipients"] = [dict(r, sent_at=iso_time(r["sent_at"]), delivered_at=iso_time(r["delivered_at"]),
                                      acknowledged_at=iso_time(r["acknowledged_at"]))
                                 for r in rows]
        print_json(summary)
        return 0
    print(f"Alerte n° {summary['id']} — {summary['state_label']} — {fmt_time(summary['created_at'])} "
          f"par {summary['author'] or '—'} ({summary['source']})")
    if summary["exercise"]:
        print("EXERCICE")
    if summary["start_at"] and summary["state"] == "scheduled":
        print(f"Départ prévu le {schedule.fmt_paris(summary['start_at'])}")
    print(f"Ciblage : {summary['targeting']}")
    print(f"Texte : {summary['text']}")
    print("États : " + ", ".join(f"{LABELS[State(k)]} {v}" for k, v in summary["counts"].items() if v))
    if summary["ack"]:
        median = summary["ack_median_seconds"]
        print(f"Accusés de lecture : {summary['acknowledged']} OK, {summary['not_acknowledged']} sans réponse"
              + (f", délai médian {median / 60:.0f} min" if median is not None else ""))
    for r in rows:
        extra = " (doublon possible)" if r["possible_duplicate"] else ""
        if r["acknowledged_at"]:
            extra += f", lu (OK) à {fmt_time(r['acknowledged_at'])}"
        error = f" — {r['error']}" if r["error"] else ""
        print(f"  {r['phone']:<14} {r['member'][:35]:<35} {r['state_label']}{extra}, {plural(r['attempts'], 'essai')}{error}")
    return 0


def run_list(args) -> int:
    open_db(args)
    items = alerts.list_alerts(limit=args.limit)
    if args.json:
        print_json([dict(a, created_at=iso_time(a["created_at"]), completed_at=iso_time(a["completed_at"]))
                    for a in items])
        return 0
    for a in items:
        c = a["counts"]
        print(f"n° {a['id']:<5} {fmt_time(a['created_at'])}  {a['state_label']:<9} "
              f"{a['recipient_count']:>4} dest.  délivrés {c['delivered']}, envoyés {c['sent']}, "
              f"échecs {c['failed']}  {a['text'][:50]}")
    if not items:
        print("Aucune alerte.")
    return 0


def run_cancel(args) -> int:
    open_db(args)
    n = alerts.cancel(args.id, actor())
    print(f"Alerte n° {args.id} : {plural(n, 'envoi annulé', 'envois annulés')}.")
    return 0


def run_resend(args) -> int:
    settings = open_db(args)
    n = alerts.resend_failed(args.id, actor())
    if n:
        control.wake(settings.daemon.control_socket)
    print(f"Alerte n° {args.id} : {plural(n, 'message')} en échec remis en file.")
    return 0


def run_purge(args) -> int:
    settings = open_db(args)
    result = retention.purge(args.days, settings=settings, actor=actor())
    if args.json:
        print_json(result)
    else:
        print(f"Historique de plus de {result['days']} jours supprimé : {plural(result['messages'], 'message')}, "
              f"{plural(result['alerts'], 'alerte')}, {plural(result['incoming_sms'], 'SMS reçu', 'SMS reçus')}, "
              f"{plural(result['status_reports'], 'accusé')} de réception.")
    return 0
