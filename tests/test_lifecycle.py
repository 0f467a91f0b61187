"""Message and alert states: one table each, and every bulk update follows it."""

import json

import pytest

from vigie.daemon.core import alerts, members, outbox
from vigie.daemon.core.lifecycle import IllegalTransition
from vigie.daemon.core.models import Alert, Member, Message
from vigie.daemon.core.outbox import ALERTS, MESSAGES, AlertState, State


@pytest.mark.parametrize("enum,table", [(State, outbox.TRANSITIONS), (AlertState, outbox.ALERT_TRANSITIONS)])
def test_every_state_has_a_label_and_a_row_in_its_table(enum, table):
    assert set(table) == set(enum)
    assert all(isinstance(s.label, str) and s.label for s in enum)
    assert all(to in set(enum) for targets in table.values() for to in targets)


def _alert_with(*states: State) -> tuple[Alert, list[int]]:
    alert = Alert.create(text="t")
    ids = []
    for n, state in enumerate(states):
        m = outbox.enqueue(f"+3360000{n:04d}", "t", alert=alert)
        Message.update(state=state.value).where(Message.id == m.id).execute()
        ids.append(m.id)
    return alert, ids


def _states(ids) -> list[str]:
    return [Message.get_by_id(i).state for i in ids]


@pytest.mark.parametrize("to,expected", [
    (State.DELIVERED, State.QUEUED),
    (State.QUEUED, (State.FAILED, State.DELIVERED)),     # one illegal source spoils the move
    (State.CANCELLED, (State.SENDING,)),
    (State.SENDING, ()),
])
def test_an_illegal_bulk_message_move_is_refused_and_writes_nothing(database, to, expected):
    alert, ids = _alert_with(State.QUEUED, State.FAILED, State.SENDING, State.DELIVERED)
    with pytest.raises(IllegalTransition):
        MESSAGES.move(to, expected, Message.alert == alert.id)
    assert _states(ids) == ["queued", "failed", "sending", "delivered"]


def test_an_illegal_alert_move_is_refused(database):
    alert = Alert.create(text="t", state=AlertState.DONE.value)
    with pytest.raises(IllegalTransition):
        ALERTS.move(AlertState.CANCELLED, AlertState.DONE, Alert.id == alert.id)
    with pytest.raises(IllegalTransition):
        ALERTS.move(AlertState.DONE, AlertState.DONE, Alert.id == alert.id)
    assert Alert.get_by_id(alert.id).state == "done"


def test_a_bulk_move_touches_only_rows_in_its_source_states(database):
    alert, ids = _alert_with(State.QUEUED, State.RETRY_WAIT, State.SENDING, State.SENT, State.FAILED)
    assert MESSAGES.move(State.CANCELLED, outbox.WAITING, Message.alert == alert.id, error="x") == 2
    assert _states(ids) == ["cancelled", "cancelled", "sending", "sent", "failed"]
    assert all(Message.get_by_id(i).finished_at for i in ids[:2])


def test_expire_due_leaves_what_is_on_air(database):
    alert, ids = _alert_with(State.QUEUED, State.RETRY_WAIT, State.SENDING, State.SENT)
    Message.update(expires_at=1.0).execute()
    assert outbox.expire_due() == 2
    assert _states(ids) == ["expired", "expired", "sending", "sent"]


def test_alert_lifecycle_cancel_resend_complete(database):
    alert, ids = _alert_with(State.QUEUED, State.SENT, State.FAILED)
    assert alert.state == AlertState.SENDING
    assert alerts.cancel(alert.id, "test") == 1
    cancelled = Alert.get_by_id(alert.id)
    assert cancelled.state == "cancelled" and cancelled.completed_at
    assert _states(ids) == ["cancelled", "sent", "failed"]
    assert alerts.resend_failed(alert.id, "test") == 1          # cancelled → sending
    again = Alert.get_by_id(alert.id)
    assert again.state == "sending" and again.completed_at is None
    assert _states(ids) == ["cancelled", "sent", "queued"]
    assert outbox.complete_finished_alerts() == 0               # one message still waits
    Message.update(state=State.DELIVERED.value).where(Message.id == ids[2]).execute()
    Message.update(state=State.DELIVERED.value).where(Message.id == ids[1]).execute()
    assert outbox.complete_finished_alerts() == 1
    done = Alert.get_by_id(alert.id)
    assert done.state == "done" and done.completed_at
    assert alerts.cancel(alert.id, "test") == 0                 # a done alert stays done
    assert Alert.get_by_id(alert.id).state == "done"


def test_member_erasure_cancels_only_what_waits(database):
    member = Member.create(siret="73282932000074", name="Commerce", naf="47.77Z", commune="61001")
    ids = []
    for n, state in enumerate((State.QUEUED, State.RETRY_WAIT, State.SENDING, State.DELIVERED)):
        m = outbox.enqueue(f"+3360000{n:04d}", "t", member=member.id)
        Message.update(state=state.value).where(Message.id == m.id).execute()
        ids.append(m.id)
    members.erase(member.id, "test")
    assert _states(ids) == ["cancelled", "cancelled", "sending", "delivered"]


def test_alert_state_labels_in_cli_and_console(vigie_cli, operator):
    Alert.create(text="Alerte finie", state=AlertState.DONE.value)
    rc, out, _ = vigie_cli("alert", "list")
    assert rc == 0 and "terminée" in out
    rc, out, _ = vigie_cli("alert", "list", "--json")
    assert [a["state_label"] for a in json.loads(out)] == [AlertState.DONE.label]
    assert AlertState.DONE.label in operator.get("/alertes").text
