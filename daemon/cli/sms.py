"""`vigie sms preview`: what a text costs before sending it."""

from vigie.daemon.cli._common import print_json
from vigie.daemon.core.reference import smstext


def register(sub):
    p = sub.add_parser("sms", help="outils SMS")
    s = p.add_subparsers(dest="sms_command", metavar="ACTION")
    s.required = True
    pv = s.add_parser("preview", help="encodage, longueur et nombre de SMS d'un texte")
    pv.add_argument("text", metavar="TEXTE")
    pv.add_argument("--json", action="store_true", help="sortie JSON")
    pv.set_defaults(func=run_preview)


def _info(info) -> dict:
    return {"encoding": info.encoding, "chars": info.chars, "units": info.units, "parts": info.parts,
            "per_part": info.per_part, "remaining": info.remaining, "non_gsm": list(info.non_gsm),
            "replaced": {c: smstext.ON_AIR[c] for c in info.replaced}, "unsendable": list(info.unsendable),
            "refused": smstext.unsendable_message(info.unsendable) if info.unsendable else ""}


def run_preview(args) -> int:
    info = smstext.analyze(args.text)
    plain = smstext.transliterate(args.text)
    plain_info = smstext.analyze(plain)
    if args.json:
        print_json(dict(_info(info), transliterated=dict(_info(plain_info), text=plain)))
        return 0
    encoding = {"gsm7": "GSM 7 bits", "ucs2": "Unicode (UCS-2)"}[info.encoding]
    print(f"Encodage : {encoding}")
    print(f"Caractères : {info.chars} ; SMS : {info.parts} ({info.per_part} par SMS) ; reste {info.remaining}")
    if info.unsendable:
        print(f"Refusé à l'envoi : le modem ne peut pas envoyer {' '.join(info.unsendable)} (émojis) ; "
              f"retirez-les ou remplacez-les par des caractères simples.")
    if info.replaced:
        print("Remplacés à l'envoi : " + " ; ".join(f"{c} → {smstext.ON_AIR[c]}" for c in info.replaced))
    non_gsm = [c for c in info.non_gsm if c not in info.unsendable]
    if non_gsm:
        print("Caractères hors alphabet GSM : " + " ".join(non_gsm))
    if plain != args.text:
        print(f"Translittéré : {plain}")
        print(f"  → {'GSM 7 bits' if plain_info.encoding == 'gsm7' else 'Unicode (UCS-2)'}, "
              f"{plain_info.chars} caractères, {plain_info.parts} SMS")
    return 0
