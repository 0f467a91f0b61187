"""`vigie run` with an operator route: its callback listener on [daemon] callback_listen takes Kannel's
reports and incoming SMS, and its loop applies them (no test code in between)."""

from tests.fixtures_daemon import running_daemon
from tests.fixtures_kannel import SECRET, free_port, http_get, send_through, transport_of, wait_until
from vigie.daemon.core import config as config_mod
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import Callback, Contact, Member, Message, OptOut
from vigie.daemon.transport.kannel import conf as kconf


def settings_for(tmp_path, k, port):
    return config_mod.parse({
        "database": {"path": str(tmp_path / "vigie.db")},
        "kannel": [{"name": "operateur", "sendsms_url": f"http://127.0.0.1:{k.conf.sendsms_port}/cgi-bin/sendsms",
                    "username": k.conf.username, "password": k.conf.password, "sender": k.conf.sender,
                    "smsc": k.conf.smsc_id, "admin_url": f"http://127.0.0.1:{k.conf.admin_port}",
                    "admin_password": k.conf.admin_password}],
        "daemon": {"callback_listen": f"127.0.0.1:{port}", "callback_secret": SECRET,
                   "control_socket": str(tmp_path / "control.sock"), "poll_interval_seconds": 0.05},
        "button": {"enabled": False},
    })


def test_daemon_applies_reports_and_stop_from_kannel(tmp_path, smsc, kannel):
    port = free_port()
    k = kannel(callback_listen=f"127.0.0.1:{port}", callback_secret=SECRET)
    settings = settings_for(tmp_path, k, port)
    with running_daemon(settings):
        member = Member.create(name="Garage du Perche", naf="45.20A")
        Contact.create(member=member, phone="+33698765432")
        message = send_through(transport_of(k), "+33612345678", "Alerte : vols de catalyseurs à Mortagne")
        assert wait_until(lambda: Message.get_by_id(message.id).state == "delivered", 60), k.logs()
        smsc.inject_mo("+33698765432", "STOP")
        assert wait_until(lambda: OptOut.get_or_none(OptOut.phone == "+33698765432"), 60), k.logs()
        forged = f"http://127.0.0.1:{port}{kconf.MO_PATH}?secret=faux&from=%2B33698765432&text=START&id=x"
        assert http_get(forged)[0] == 403
        assert Callback.select().where(Callback.key == "mo:x").count() == 0
    db_mod.close_database()
