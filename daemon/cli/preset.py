"""`vigie preset add|list|show|delete`: ready alerts, sent in one gesture (the panic button's is [button] preset)."""

import json

from vigie.daemon.cli._common import fmt_time, iso_time, open_db, print_json
from vigie.daemon.cli._namedset import action
from vigie.daemon.cli._targeting import actor, add_targeting_arguments, targeting_from_args
from vigie.daemon.core import presets
from vigie.daemon.core import targeting as targeting_mod
from vigie.daemon.core.reference.french import plural


def register(sub):
    p = sub.add_parser("preset", help="modèles d'alerte (dont celui du bouton d'alerte)")
    psub = p.add_subparsers(dest="action", metavar="ACTION")

    add = action(psub, "add", "créer un modèle d'alerte", run_add, json=True)
    add.add_argument("--text", required=True, metavar="TEXTE", help="texte du SMS")
    add.add_argument("--priority", type=int, default=0, metavar="N", help="priorité (100 = urgence)")
    add.add_argument("--exercise", action="store_true", help="modèle d'exercice (« EXERCICE – » en tête de chaque SMS)")
    add.add_argument("--ack", action="store_true", help="demander aux destinataires de répondre OK")
    add_targeting_arguments(add)
    action(psub, "list", "lister les modèles d'alerte", run_list, named=False, json=True)
    action(psub, "show", "afficher un modèle et ses destinataires actuels", run_show, json=True)
    action(psub, "delete", "supprimer un modèle d'alerte", run_delete)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def preset_dict(preset, *, with_recipients: bool = False, button_preset: str = "") -> dict:
    t = presets.targeting_of(preset)
    d = {"name": preset.name, "text": preset.text, "priority": preset.priority,
         "targeting": t.describe(), "targeting_json": json.loads(t.to_json()),
         "button": bool(button_preset) and preset.name.lower() == button_preset.lower(),
         "created_at": iso_time(preset.created_at), "updated_at": iso_time(preset.updated_at)}
    if with_recipients:
        d["recipients"] = len(targeting_mod.resolve(t))
    return d


def run_add(args) -> int:
    settings = open_db(args)
    preset = presets.create(args.name, args.text, targeting_from_args(args), args.priority,
                            actor=actor(), max_parts=settings.alerts.max_parts, exercise=args.exercise,
                            ack=args.ack)
    d = preset_dict(preset, with_recipients=True, button_preset=settings.button.preset)
    if args.json:
        print_json(d)
    else:
        print(f"Modèle d'alerte « {d['name']} » créé : {d['targeting']}, {plural(d['recipients'], 'destinataire')} aujourd'hui.")
    return 0


def run_list(args) -> int:
    settings = open_db(args)
    rows = [preset_dict(p, button_preset=settings.button.preset) for p in presets.list_all()]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Aucun modèle d'alerte.")
    for d in rows:
        mark = " [bouton]" if d["button"] else ""
        print(f"{d['name']}{mark} : {d['targeting']} — {d['text']}")
    if not any(d["button"] for d in rows) and settings.button.enabled:
        print(f"Attention : le modèle du bouton d'alerte, « {settings.button.preset} », n'existe pas.")
    return 0


def run_show(args) -> int:
    settings = open_db(args)
    preset = presets.get(args.name)
    d = preset_dict(preset, with_recipients=True, button_preset=settings.button.preset)
    if args.json:
        print_json(d)
        return 0
    print(f"Modèle d'alerte « {d['name']} »" + (" (envoyé par le bouton d'alerte)" if d["button"] else ""))
    print(f"Texte : {d['text']}")
    print(f"Ciblage : {d['targeting']} ({plural(d['recipients'], 'destinataire')} aujourd'hui)")
    print(f"Priorité : {d['priority']}")
    print(f"Créé le {fmt_time(preset.created_at)}, modifié le {fmt_time(preset.updated_at)}")
    return 0


def run_delete(args) -> int:
    settings = open_db(args)
    preset = presets.get(args.name)
    presets.delete(preset.name, actor())
    print(f"Modèle d'alerte « {preset.name} » supprimé.")
    if preset.name.lower() == settings.button.preset.lower():
        print("Attention : c'était le modèle du bouton d'alerte ; le bouton ne pourra plus rien envoyer.")
    return 0
