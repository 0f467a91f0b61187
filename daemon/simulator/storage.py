"""SMS storage: the memories (SM, ME, SR...), their slots, and how a slot is listed (+CMGR, +CMGL) in PDU
and text mode. Slots are kept across reboot and unplug, as on the SIM and in the module's flash."""

from vigie.daemon.simulator import pdu as codec

STAT_TEXT = {0: "REC UNREAD", 1: "REC READ", 2: "STO UNSENT", 3: "STO SENT", 4: "ALL"}
_ALIASES = {"MT": "ME", "ME_P": "ME", "SM_P": "SM"}
_DOOMED = {1: (1,), 2: (1, 3), 3: (1, 2, 3), 4: (0, 1, 2, 3)}       # AT+CMGD=<i>,<flag>: stats deleted


class Stored:
    """One message slot: an SMS-DELIVER or an SMS-STATUS-REPORT, with its read status."""

    def __init__(self, kind, hex_pdu, tpdu_length, number, text, scts, stat=0):
        self.kind, self.hex, self.tpdu_length = kind, hex_pdu, tpdu_length
        self.number, self.text, self.scts, self.stat = number, text, scts, stat


def canon(mem):
    return _ALIASES.get(mem, mem)


def zone(dt):
    """A timestamp's offset as the module writes it: quarter hours with a sign ("+04", "-20")."""
    quarters = int(dt.utcoffset().total_seconds() // 900)
    return f"{'-' if quarters < 0 else '+'}{abs(quarters):02d}"


def text_time(dt):
    return dt.strftime("%y/%m/%d,%H:%M:%S") + zone(dt)


class Storage:
    """The module's message memories; ``memories`` follows AT+CPMS (read/delete, write, receive)."""

    def __init__(self, modem):
        self.m = modem
        self._stores = {}

    @property
    def memories(self):
        chosen = self.m.session.cpms
        if chosen:
            return chosen
        return ["SM", "SM", "SM"] if self.m.model == "sim800" else ["ME", "ME", "ME"]

    @property
    def receive(self):
        return self.memories[2]

    def capacity(self, mem):
        return self.m.profile.capacity.get(mem, 50)

    def slots(self, mem):
        return self._stores.setdefault(canon(mem), {})

    def used(self, mem):
        return len(self.slots(mem))

    def store(self, mem, item):
        """Put ``item`` in the first free slot of ``mem``; its index, or None when the memory is full."""
        slots = self.slots(mem)
        first = self.m.profile.first_index
        for idx in range(first, first + self.capacity(mem)):
            if idx not in slots:
                slots[idx] = item
                return idx
        return None

    def snapshot(self, memory=None):
        return {mem: {i: (s.kind, s.stat, s.number) for i, s in slots.items()}
                for mem, slots in self._stores.items() if memory in (None, mem)}

    # ---- the commands' side (first AT+CPMS memory)

    def _current(self):
        return self.slots(self.memories[0])

    def indices(self):
        return sorted(self._current())

    def read(self, idx):
        """+CMGR lines of a slot (marked read), or None when the slot is empty."""
        slot = self._current().get(idx)
        if slot is None:
            return None
        lines = self.render(None, slot, "CMGR")
        if slot.stat == 0:
            slot.stat = 1
        return lines

    def status_wanted(self, value):
        """The stat an AT+CMGL argument asks for (4: all), None when the argument is invalid."""
        if self.m.session.cmgf == 0:
            return int(value) if value.isdigit() and int(value) <= 4 else None
        names = {v: k for k, v in STAT_TEXT.items()}
        return names.get(value.strip('"').upper())

    def listing(self, wanted):
        lines = []
        for idx, slot in sorted(self._current().items()):
            if wanted == 4 or slot.stat == wanted:
                lines += self.render(idx, slot, "CMGL")
                if slot.stat == 0:
                    slot.stat = 1
        return lines

    def delete(self, idx, flag):
        """AT+CMGD: False when the flag is unknown."""
        mem = self.memories[0]
        slots = self.slots(mem)
        if flag == 0:
            slots.pop(idx, None)
        elif flag in _DOOMED:
            for i in [i for i, s in slots.items() if s.stat in _DOOMED[flag]]:
                del slots[i]
        else:
            return False
        self.m.urcs.slot_deleted(canon(mem), slots)
        self.m.journal.event("deleted", memory=mem, index=idx, flag=flag)
        return True

    def render(self, idx, slot, cmd):
        """Lines of one stored message for +CMGR (idx None) or +CMGL."""
        session = self.m.session
        head = f"+{cmd}: " + ("" if idx is None else f"{idx},")
        if session.cmgf == 0:
            return [f"{head}{slot.stat},{self.m.profile.cmgr_alpha},{slot.tpdu_length}", slot.hex]
        status = f'"{STAT_TEXT[slot.stat]}"'
        d = codec.decode_deliver(slot.hex)
        if slot.kind == "report":
            return [f'{head}{status},6,{d["mr"]},"{d["number"]}",145,"{text_time(d["scts"])}",'
                    f'"{text_time(d["discharge"])}",{d["status"]}']
        toa = 145 if slot.number.startswith("+") else 129
        header = f'{head}{status},"{slot.number}","","{text_time(d["scts"])}"'
        if session.csdh:
            length = len(d["text"])
            if idx is None:         # +CMGR: <tooa>,<fo>,<pid>,<dcs>,<sca>,<tosca>,<length>
                fo = int(slot.hex[2 + 2 * int(slot.hex[:2], 16):][:2], 16)
                header += f',{toa},{fo},{d["pid"]},{d["dcs"]},"{d["smsc"]}",145,{length}'
            else:                   # +CMGL: <tooa>,<length>
                header += f",{toa},{length}"
        return [header, d["text"]]
