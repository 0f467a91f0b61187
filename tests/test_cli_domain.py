"""The domain commands run in-process through vigie.daemon.cli.main with a real config file."""

import json

import pytest

from vigie.daemon.core import defaults, members
from vigie.daemon.core.models import Alert, AuditLog, InboundSms, Member, Message, OptOut

from .fixtures_domain import make_siret

S1, S2, S3 = make_siret(1), make_siret(2), make_siret(3)


def add(cli, siret, name, naf="47.77Z", commune="61464", *phones):
    args = ["member", "add", "--siret", siret, "--name", name, "--naf", naf, "--commune", commune]
    for p in phones or ("06 00 00 00 01",):
        args += ["--phone", p]
    return cli(*args)


def test_member_add_list_show(vigie_cli):
    rc, out, err = add(vigie_cli, S1, "Bijouterie de Sées", "47.77Z", "61464", "06 00 00 01 01", "0600000102")
    assert rc == 0 and "Adhérent inscrit" in out and S1 in out
    rc, out, _ = vigie_cli("member", "list", "--json")
    data = json.loads(out)
    assert data["total"] == 1 and data["members"][0]["phones"] == ["+33600000101", "+33600000102"]
    rc, out, _ = vigie_cli("member", "show", S1)
    assert rc == 0 and "Sées" in out and "+33600000101" in out
    rc, out, _ = vigie_cli("member", "show", S1, "--json")
    assert json.loads(out)["member"]["siret"] == S1
    assert AuditLog.get(AuditLog.action == "member.add").actor.startswith("cli:")


@pytest.mark.parametrize("args,field", [
    (["--siret", "12345678901234"], "siret"),
    (["--phone", "02 33 26 12 34"], "phone"),
    (["--naf", "99.99Z"], "naf"),
    (["--commune", "75056"], "commune"),
    (["--chamber", "syndicat"], "chamber"),
    (["--email", "pas-une-adresse"], "email"),
])
def test_member_add_refusal_names_the_field(vigie_cli, args, field):
    base = {"--siret": S1, "--name": "Commerce", "--naf": "47.77Z", "--commune": "61001", "--phone": "0600000001"}
    base.update(dict(zip(args[::2], args[1::2])))
    argv = ["member", "add"] + [x for kv in base.items() for x in kv]
    rc, out, err = vigie_cli(*argv)
    assert rc == 2
    assert f"Erreur (champ « {field} ») :" in err
    assert Member.select().count() == 0


def test_member_add_missing_option_is_refused_in_french(vigie_cli):
    rc, _, err = vigie_cli("member", "add", "--siret", S1)
    assert rc == 2 and "arguments obligatoires manquants" in err


def test_member_status_and_erase(vigie_cli):
    add(vigie_cli, S1, "Commerce")
    rc, out, _ = vigie_cli("member", "suspend", S1)
    assert rc == 0 and "suspendu" in out
    rc, out, _ = vigie_cli("member", "activate", S1)
    assert "actif" in out
    rc, out, _ = vigie_cli("member", "leave", S1)
    assert members.get(S1).status == "left"
    rc, _, err = vigie_cli("member", "erase", S1)
    assert rc == 2 and "--yes" in err
    rc, out, _ = vigie_cli("member", "erase", S1, "--yes")
    assert rc == 0 and "effacées" in out
    assert Member.get().status == "erased"
    rc, _, err = vigie_cli("member", "show", S1)
    assert rc == 1 and "introuvable" in err


def test_member_import_dry_run_and_export(vigie_cli, tmp_path):
    good = tmp_path / "adherents.csv"
    good.write_bytes(("siret;nom;naf;commune;téléphone\n"
                      f"{S1};Bijouterie;47.77Z;61001;0600000101\n"
                      f"{S2};Tabac;47.26Z;61169;0600000201\n").encode("cp1252"))
    bad = tmp_path / "erreurs.csv"
    bad.write_text("siret;nom;naf;commune;telephone\n"
                   f"{S1};Bijouterie;47.77Z;61001;0233261234\n"
                   f"{S3};Tabac;47.26Z;61169;0600000301\n", encoding="utf-8")
    rc, out, err = vigie_cli("member", "import", bad, "--dry-run")
    assert rc == 1 and "Ligne 2 (« Bijouterie ») : colonne « telephone »" in err and "aucun adhérent" in err
    rc, out, _ = vigie_cli("member", "import", good, "--dry-run")
    assert rc == 0 and "2 adhérents à créer" in out and Member.select().count() == 0
    rc, out, _ = vigie_cli("member", "import", good)
    assert rc == 0 and "2 adhérents créés" in out
    rc, out, _ = vigie_cli("member", "import", good, "--json")
    assert json.loads(out)["unchanged"] == 2
    rc, out, _ = vigie_cli("member", "import", bad, "--partial")
    assert rc == 0 and "1 ligne ignorée" in out
    target = tmp_path / "export.csv"
    rc, _, err = vigie_cli("member", "export", target)
    assert rc == 0 and target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert target.read_bytes().decode("utf-8-sig").count("\n") == 4
    rc, out, _ = vigie_cli("member", "export")
    assert rc == 0 and out.lstrip("\ufeff").startswith("siret;nom;") and "06 00 00 01 01" in out
    rc, out, _ = vigie_cli("member", "list", "--naf", "rev2:47.2")
    assert rc == 0 and "06 00 00 02 01" in out and "2 adhérents." in out
    rc, out, _ = vigie_cli("member", "list", "--naf", "rev2:47.2", "--json")
    assert [m["name"] for m in json.loads(out)["members"]] == ["Tabac", "Tabac"]


def test_zone_and_sector_commands(vigie_cli):
    rc, out, _ = vigie_cli("zone", "add", "centre", "--commune", "61001", "--commune", "61464")
    assert rc == 0 and "2 communes" in out
    rc, out, _ = vigie_cli("zone", "add", "centre", "--commune", "61006")
    assert "3 communes" in out
    rc, out, _ = vigie_cli("zone", "remove-commune", "centre", "--commune", "61001")
    rc, out, _ = vigie_cli("zone", "show", "centre", "--json")
    assert [c["insee"] for c in json.loads(out)["communes"]] == ["61006", "61464"]
    rc, _, err = vigie_cli("zone", "add", "x", "--commune", "99999")
    assert rc == 2 and "champ « communes »" in err
    rc, out, _ = vigie_cli("zone", "delete", "centre")
    assert rc == 0 and "supprimée" in out
    rc, out, _ = vigie_cli("sector", "add", "boulangeries", "--code", "1071C", "--code", "2025:47.24")
    assert rc == 0 and "10.71C 2025:47.24" in out
    rc, out, _ = vigie_cli("sector", "show", "boulangeries", "--json")
    assert json.loads(out)["codes"][0]["code"] == "10.71C"
    rc, _, err = vigie_cli("sector", "add", "faux", "--code", "99.99Z")
    assert rc == 2 and "champ « codes »" in err
    rc, out, _ = vigie_cli("sector", "search", "bijouterie")
    assert rc == 0 and "47.77Z" in out
    rc, out, _ = vigie_cli("sector", "list")
    assert "boulangeries" in out


def test_alert_send_show_cancel_resend(vigie_cli):
    defaults.ensure_defaults()
    add(vigie_cli, S1, "Bijouterie de Sées", "47.77Z", "61464", "0600000101", "0600000102")
    add(vigie_cli, S2, "Tabac d'Argentan", "47.26Z", "61006", "0600000201")
    add(vigie_cli, S3, "Garage", "45.20A", "61464", "0600000301")
    rc, out, _ = vigie_cli("alert", "send", "--text", "Cambriolages en série, fermez vos accès.",
                           "--sector", "bijouteries", "--sector", "tabac-presse", "--around", "61464",
                           "--radius-km", "15", "--dry-run", "--json")
    data = json.loads(out)
    assert rc == 0 and data["dry_run"] and data["recipients"] == 2 and data["id"] is None
    assert Message.select().count() == 0
    rc, out, _ = vigie_cli("alert", "send", "--text", "Cambriolages en série, fermez vos accès.",
                           "--sector", "bijouteries", "--sector", "tabac-presse", "--json")
    data = json.loads(out)
    assert (data["recipients"], data["parts"], data["encoding"], data["sms_total"]) == (3, 1, "gsm7", 3)
    assert data["estimated_seconds"] == 9.0
    alert_id = data["id"]
    assert Message.select().where(Message.alert == alert_id).count() == 3
    rc, out, _ = vigie_cli("alert", "send", "--text", "Vol de véhicule « urgent » ç", "--transliterate",
                           "--member", S3, "--priority", "50", "--expires-hours", "2")
    assert rc == 0 and "1 destinataire (" in out and "GSM 7 bits" in out
    sent = Alert.select().order_by(Alert.id.desc()).get()
    assert sent.text.endswith(" c") and "«" not in sent.text and sent.encoding == "gsm7"
    assert sent.priority == 50
    rc, out, _ = vigie_cli("alert", "show", alert_id)
    assert rc == 0 and "en attente" in out and "Bijouterie de Sées" in out
    rc, out, _ = vigie_cli("alert", "show", alert_id, "--json")
    assert len(json.loads(out)["recipients"]) == 3
    rc, out, _ = vigie_cli("alert", "list", "--json")
    assert [a["id"] for a in json.loads(out)][-1] == alert_id
    rc, out, _ = vigie_cli("alert", "cancel", alert_id)
    assert rc == 0 and "3 envois annulés" in out
    rc, out, _ = vigie_cli("alert", "resend-failed", alert_id)
    assert rc == 0 and "0 message en échec" in out
    rc, _, err = vigie_cli("alert", "show", 999)
    assert rc == 1 and "introuvable" in err


@pytest.mark.parametrize("args,field", [
    (["--text", "x"], "targeting"),
    (["--text", "x", "--radius-km", "5"], "around"),
    (["--text", "x", "--sector", "inconnu"], "sectors"),
    (["--text", "", "--all"], None),
    (["--text", "x", "--all", "--expires-hours", "500"], "expires_hours"),
    (["--text", "x", "--all", "--expires-hours", "0"], "expires_hours"),
])
def test_alert_send_refusals(vigie_cli, args, field):
    add(vigie_cli, S1, "Commerce")
    rc, _, err = vigie_cli("alert", "send", *args)
    assert rc == 2 and err.startswith("Erreur")
    if field:
        assert f"champ « {field} »" in err
    assert Message.select().count() == 0


def test_sms_preview(vigie_cli):
    rc, out, _ = vigie_cli("sms", "preview", "Fermez vos accès « svp » œuvre", "--json")
    data = json.loads(out)
    assert data["encoding"] == "ucs2" and "«" in data["non_gsm"]
    assert data["transliterated"]["encoding"] == "gsm7"
    rc, out, _ = vigie_cli("sms", "preview", "Bonjour")
    assert rc == 0 and "GSM 7 bits" in out


def test_inbox_and_purge(vigie_cli, domain_settings):
    from vigie.daemon.core import inbox, outbox
    add(vigie_cli, S1, "Commerce", "47.77Z", "61001", "0600000101")
    InboundSms.create(modem="hat", phone="+33600000101", text="Individu suspect rue du Bercail")
    InboundSms.create(modem="hat", phone="+33600000101", text="STOP")
    inbox.handle_pending(domain_settings)
    rc, out, _ = vigie_cli("inbox", "--kind", "incident")
    assert rc == 0 and "Individu suspect" in out and "STOP" not in out
    rc, out, _ = vigie_cli("inbox", "--json")
    assert {r["kind"] for r in json.loads(out)} == {"incident", "stop"}
    # purge: an old delivered message goes, a recent one stays
    old = outbox.enqueue("+33600000101", "ancien")
    Message.update(state="delivered", created_at=1_000_000.0).where(Message.id == old.id).execute()
    rc, out, _ = vigie_cli("purge", "--days", "30")
    assert rc == 0 and "1 message," in out
    assert Message.select().count() == 1          # the STOP confirmation, recent
    assert OptOut.select().count() == 1


def test_sirene_check_command(vigie_cli, tmp_path):
    add(vigie_cli, S1, "Commerce")
    stock = tmp_path / "stock.csv"
    stock.write_text(f"siren,nic,siret,etatAdministratifEtablissement\n{S1[:9]},{S1[9:]},{S1},F\n",
                     encoding="utf-8")
    rc, out, _ = vigie_cli("sirene", "check", stock)
    assert rc == 0 and "Établissements fermés (1)" in out
    rc, out, _ = vigie_cli("sirene", "check", stock, "--json")
    assert json.loads(out)["closed"][0]["siret"] == S1


def test_backtick_is_queued_as_it_goes_on_air_and_the_preview_says_so(vigie_cli):
    rc, out, _ = vigie_cli("sms", "preview", "Code `A12` saisi.", "--json")
    data = json.loads(out)
    assert rc == 0 and data["encoding"] == "gsm7" and data["replaced"] == {"`": "'"} and data["non_gsm"] == []
    rc, out, err = vigie_cli("send", "--to", "0612345678", "--text", "Code `A12` saisi.")
    assert rc == 0, err
    assert Message.get_by_id(int(out)).text == "Code 'A12' saisi."      # what the phone will show


def test_sms_preview_says_beforehand_that_an_emoji_is_refused(vigie_cli):
    rc, out, _ = vigie_cli("sms", "preview", "Alerte 🚨 à Flers", "--json")
    data = json.loads(out)
    assert rc == 0 and data["unsendable"] == ["🚨"] and "ne peut pas envoyer (🚨" in data["refused"]
    assert data["transliterated"]["unsendable"] == [] and data["transliterated"]["refused"] == ""
    rc, out, _ = vigie_cli("sms", "preview", "Alerte 🚨 à Flers")
    assert "Refusé à l'envoi : le modem ne peut pas envoyer 🚨" in out
    rc, _, err = vigie_cli("send", "--to", "0612345678", "--text", "Alerte 🚨 à Flers")
    assert rc == 2 and "🚨" in err and Message.select().count() == 0


def test_foreign_mobiles_follow_the_configuration_key(vigie_cli, domain_config):
    from vigie.daemon.core.reference import validate
    rc, _, err = vigie_cli("send", "--to", "+32 470 12 34 56", "--text", "Essai")
    assert rc == 2 and "mobile étranger (Belgique)" in err and "allow_foreign_mobiles = true" in err
    with open(domain_config, encoding="utf-8") as f:
        text = f.read()
    assert "allow_foreign_mobiles = false" in text                  # written by vigie init, commented
    with open(domain_config, "w", encoding="utf-8") as f:
        f.write(text.replace("allow_foreign_mobiles = false", "allow_foreign_mobiles = true"))
    try:
        rc, out, err = vigie_cli("send", "--to", "+32 470 12 34 56", "--text", "Essai")
        assert rc == 0, err
        assert Message.get_by_id(int(out)).phone == "+32470123456"
    finally:
        validate.allow_foreign_mobiles(False)


def test_a_member_phone_damaged_by_a_spreadsheet_gets_the_hint(vigie_cli):
    rc, _, err = vigie_cli("member", "add", "--siret", make_siret(7), "--name", "Garage", "--naf", "45.20A",
                           "--commune", "61001", "--phone", "6,12346E+08")
    assert rc == 2 and "champ « phone »" in err and "converti en nombre par le tableur" in err
    rc, _, err = vigie_cli("member", "add", "--siret", "00000000000000", "--name", "Garage", "--naf", "45.20A",
                           "--commune", "61001", "--phone", "0612345678")
    assert rc == 2 and "champ « siret »" in err and "n'existe pas" in err
    assert Member.select().count() == 0


def test_send_to_a_stop_listed_number_is_refused_unless_overridden_and_audited(vigie_cli):
    OptOut.create(phone="+33600000101", source="sms")
    rc, out, err = vigie_cli("send", "--to", "06 00 00 01 01", "--text", "Essai")
    assert rc == 2 and "Erreur (champ « phone ») :" in err and "a répondu STOP" in err and "--malgre-stop" in err
    assert Message.select().count() == 0 and not AuditLog.select().where(
        AuditLog.action == "optout.override").exists()
    rc, out, err = vigie_cli("send", "--to", "06 00 00 01 01", "--text", "Message ponctuel", "--malgre-stop")
    assert rc == 0 and Message.get().phone == "+33600000101" and int(out) == Message.get().id
    assert "malgré tout" in err
    entry = AuditLog.get(AuditLog.action == "optout.override")
    assert entry.target == "+33600000101" and entry.actor.startswith("cli:") and "Message ponctuel" in entry.detail
    rc, out, err = vigie_cli("send", "--to", "06 00 00 02 02", "--text", "Autre")
    assert rc == 0 and Message.select().count() == 2
    assert AuditLog.select().where(AuditLog.action == "optout.override").count() == 1
