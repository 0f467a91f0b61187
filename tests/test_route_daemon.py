"""Routing and quotas end to end: the real daemon on two simulated modems (python-gsmmodem-new on the
pty simulator). The modems' air logs are the ground truth: every phone got its SMS once, or its
message is flagged as a possible duplicate."""

import collections
import dataclasses

from tests.fixtures_daemon import daemon_settings, running_daemon, wait_until
from vigie.daemon.core import db as db_mod
from vigie.daemon.core import outbox
from vigie.daemon.core.models import Message, ModemStatus


def with_modems(settings, **by_name):
    """Settings whose [[modem]] entries get the given keys (priority, quota_*)."""
    modems = tuple(dataclasses.replace(m, **by_name.get(m.name, {})) for m in settings.modems)
    return dataclasses.replace(settings, modems=modems)


def states():
    return collections.Counter(m.state for m in Message.select(Message.state))


def on_air(*sims):
    return collections.Counter(e["to"] for sim in sims for e in sim.air())


def assert_once_or_flagged(phones, *sims):
    counted = on_air(*sims)
    assert set(counted) == set(phones)
    flagged = {m.phone for m in Message.select().where(Message.possible_duplicate == True)}  # noqa: E712
    assert {p for p, n in counted.items() if n > 1} <= flagged


def ready(*names):
    return ModemStatus.select().where(ModemStatus.name.in_(names) & (ModemStatus.state == "ready")).count() \
        == len(names)


def test_a_modem_at_its_quota_is_skipped_and_the_other_sends(tmp_path, sims):
    a, b = sims("sim0"), sims("sim1")
    settings = with_modems(daemon_settings(tmp_path, [a, b]),
                           sim0={"priority": 10, "quota_per_day": 5}, sim1={"priority": 0})
    db_mod.open_database(settings.database.path)
    phones = [f"+3364{i:07d}" for i in range(12)]
    with running_daemon(settings):
        assert wait_until(lambda: ready("sim0", "sim1"), 20)
        outbox.enqueue_many([dict(phone=p, text="quota", parts=1) for p in phones])
        assert wait_until(lambda: states().get("delivered") == 12, 60), states()
    assert [e["to"] for e in a.air()] == phones[:5]          # its daily cap, not one more
    assert sorted(e["to"] for e in b.air()) == phones[5:]
    assert_once_or_flagged(phones, a, b)


def test_the_preferred_modem_unplugged_mid_broadcast_the_other_takes_over_then_back(tmp_path, sims):
    a, b = sims("sim0", latency=0.1), sims("sim1", latency=0.1)
    settings = with_modems(daemon_settings(tmp_path, [a, b]), sim0={"priority": 10}, sim1={"priority": 0})
    db_mod.open_database(settings.database.path)
    phones = [f"+3365{i:07d}" for i in range(100)]
    with running_daemon(settings):
        assert wait_until(lambda: ready("sim0", "sim1"), 20)
        outbox.enqueue_many([dict(phone=p, text="relais", parts=1) for p in phones])
        assert wait_until(lambda: len(a.air()) >= 10, 30)
        assert b.air() == []                                 # the preferred one sends alone
        a.unplug(3)                                          # the USB device back in 3 s
        assert wait_until(lambda: ModemStatus.get_by_id("sim0").state == "disconnected", 20)
        assert wait_until(lambda: len(b.air()) >= 5, 20)     # the other took over
        assert wait_until(lambda: ModemStatus.get_by_id("sim0").state == "ready", 30)
        back_at = len(a.air())
        assert wait_until(lambda: states().get("delivered", 0) + states().get("sent", 0) == 100, 60), states()
    assert len(a.air()) > back_at                            # and it took the broadcast back
    assert a.air()[-1]["to"] == phones[-1]
    assert_once_or_flagged(phones, a, b)
