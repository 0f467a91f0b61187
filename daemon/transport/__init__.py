"""Ways of sending: the Transport protocol (base.py), the generic worker, report matching, and one
package or module per kind of transport.

Adding a transport means its module here and its configuration table, nothing else: ``REGISTRY``
maps the table's name to the Settings attribute holding its entries and the factory that builds a
Transport from one entry. Factories take ``(entry, settings, **hooks)``; the box passes the hooks it
can offer (``power_cycle`` for an entry with a ``power_pin``) and a factory ignores the others.
"""

from collections.abc import Callable, Iterator
from typing import NamedTuple


class Kind(NamedTuple):
    settings: str                       # the Settings attribute holding this table's entries
    build: Callable                     # (entry, settings, **hooks) -> Transport


def _gsm(entry, settings, power_cycle=None, **_hooks):
    from vigie.daemon.transport.gsm.transport import GsmTransport
    return GsmTransport(entry, settings, power_cycle=power_cycle)


def _kannel(entry, settings, **_hooks):
    from vigie.daemon.transport.kannel.transport import KannelTransport
    return KannelTransport(entry, settings.daemon.callback_listen, settings.daemon.callback_secret,
                           timeout=settings.daemon.send_timeout_seconds)


REGISTRY: dict[str, Kind] = {
    "modem": Kind("modems", _gsm),      # [[modem]]: a GSM module on a serial port
    "kannel": Kind("kannels", _kannel),  # [[kannel]]: an operator route through Kannel's smsbox
}


def configured(settings) -> Iterator[tuple[str, object]]:
    """(table, entry) for every transport the configuration declares, in REGISTRY order."""
    for table, kind in REGISTRY.items():
        for entry in getattr(settings, kind.settings, ()) or ():
            yield table, entry


def build(table: str, entry, settings, **hooks):
    """The Transport for one entry of configuration table ``table``."""
    return REGISTRY[table].build(entry, settings, **hooks)
