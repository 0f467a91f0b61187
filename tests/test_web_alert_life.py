"""The console's side of alerts with a life: scheduling, quiet hours, exercises, acknowledgements."""

import datetime as dt
import re
import time
import urllib.parse

from vigie.daemon.core import alerts, schedule
from vigie.daemon.core.models import Alert, Message

from .fixtures_web import ARGENTAN, FLERS, add_member
from .test_web_alerts import box_can_send, compose  # noqa: F401  (a live daemon, as the console sees it)


def _hidden(confirm_text: str) -> dict:
    form = confirm_text.split('action="/alertes/envoyer"')[1].split("</form>")[0]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    return {k: v.replace("&quot;", '"').replace("&#039;", "'").replace("&amp;", "&") for k, v in fields.items()}


def _later(hours=20) -> str:
    return schedule.paris(time.time() + hours * 3600).strftime("%Y-%m-%dT%H:%M")


def test_a_scheduled_alert_from_the_composer_then_edited_then_cancelled(database, operator):
    add_member(1, commune=ARGENTAN)
    add_member(2, commune=FLERS)
    when = _later()
    confirm = compose(operator, text="Réunion de prévention à {commune}.", all="1", send_at=when)
    assert confirm.status == 200
    start = schedule.parse_when(when.replace("T", " "))
    assert f"programmé le {schedule.fmt_paris(start)}" in confirm.text
    assert "Programmer l’alerte" in confirm.text
    assert re.search(r"Réunion de prévention à (Argentan|Flers)\.", confirm.text)      # a filled sample
    answer = operator.post("/alertes/envoyer", _hidden(confirm.text))
    assert answer.status == 303
    alert = Alert.get()
    assert alert.state == "scheduled" and alert.start_at == start and Message.select().count() == 0
    page = operator.get(answer.location)
    assert 'id="scheduled-line"' in page.text and "programmée" in page.text
    later = _later(30)
    token = page.csrf()
    edited = operator.post(f"/alertes/{alert.id}/modifier", {"csrf": token, "text": "Réunion reportée.",
                                                             "send_at": later})
    assert edited.status == 303
    alert = Alert.get_by_id(alert.id)
    assert alert.text == "Réunion reportée." and alert.start_at == schedule.parse_when(later.replace("T", " "))
    operator.submit(f"/alertes/{alert.id}/annuler", {"confirme": "1"}, page=f"/alertes/{alert.id}")
    assert Alert.get_by_id(alert.id).state == "cancelled"


def test_the_composer_says_when_a_non_urgent_alert_will_start(database, operator, app):
    add_member(1, commune=ARGENTAN)
    now = schedule.paris(time.time())
    window = f"{(now - dt.timedelta(hours=1)):%H:%M}-{(now + dt.timedelta(hours=2)):%H:%M}"
    settings = app.config["vigie.settings"]
    import dataclasses
    app.config["vigie.settings"] = dataclasses.replace(settings, alerts=dataclasses.replace(
        settings.alerts, quiet_hours=window))
    query = urllib.parse.urlencode({"text": "Rappel", "all": "1", "non_urgent": "1"})
    data = operator.get(f"/alertes/apercu.json?{query}").json()
    assert data["start"].startswith("Départ le ")
    query = urllib.parse.urlencode({"text": "Rappel", "all": "1"})
    assert operator.get(f"/alertes/apercu.json?{query}").json()["start"] == "Départ dès la confirmation"
    confirm = compose(operator, text="Rappel", all="1", non_urgent="1")
    assert "heures calmes" in confirm.text


def test_exercise_and_acknowledgement_options_are_shown_and_counted(database, operator):
    add_member(1, commune=ARGENTAN)
    query = urllib.parse.urlencode({"text": "x" * 130, "all": "1", "ack": "1"})
    assert operator.get(f"/alertes/apercu.json?{query}").json()["parts"] == 2      # the OK request counts
    confirm = compose(operator, text="Vol simulé.", all="1", exercise="1", ack="1")
    assert 'id="exercise-badge"' in confirm.text
    assert "EXERCICE – Vol simulé. Répondez OK pour confirmer la lecture." in confirm.text
    answer = operator.post("/alertes/envoyer", _hidden(confirm.text))
    alert = Alert.get()
    assert alert.exercise and alert.ack and alert.state == "sending"
    Message.update(state="sent", sent_at=time.time() - 60).execute()
    from vigie.daemon.core import acks
    acks.acknowledge(Message.get().phone)
    page = operator.get(answer.location)
    assert 'id="exercise-badge"' in page.text and "Accusés de lecture : 1 OK" in page.text
    assert "<th>Lu (OK)</th>" in page.text
    assert alerts.summary(alert.id)["acknowledged"] == 1
