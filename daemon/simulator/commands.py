"""The command tables: every AT command a simulated module implements, as data.

A handler is ``handler(modem, mode, arg, now)`` with mode "exec", "read" ("?"), "set" ("=") or "test"
("=?"); it returns the answer lines ending with the final result (or None when the answer comes after the
``> `` prompt). ``Command.models`` says which modules have it; ``AT+CLAC`` lists exactly the table of the
module. Basic commands (E, V, Z, &F, S0...) get their digits (or the S-register value) as ``arg``.
"""

import re
import time
from dataclasses import dataclass

MODELS = ("sim800", "sim7600")
SIM800, SIM7600 = ("sim800",), ("sim7600",)
_CNMI_RE = re.compile(r"^\d(,\d){0,4}$")
_CCLK_RE = re.compile(r'^"?(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)([+-]\d\d)"?$')
LAC, CELL, CELL_4G = "2A1C", "5B3F", "05B3F01"
ICCID_PREFIX = "89330100"


@dataclass(frozen=True)
class Command:
    name: str                 # "+CSQ", "E", "&F", "S0"...
    handler: object
    models: tuple = MODELS
    sim: bool = False         # refused while the SIM asks for its PIN/PUK (and while it is busy after the PIN)
    sms: bool = False         # refused then with +CMS ERROR 311/312 rather than +CME ERROR 11/12
    listed: bool = True       # advertised by AT+CLAC

    @property
    def at(self):
        return f"AT{self.name}"


def table(model):
    """{name: Command} of one module."""
    return {c.name: c for c in COMMANDS if model in c.models}


# ---------------------------------------------------------------- helpers building handlers

def _ok(m, mode, arg, now):
    return ["OK"]


def fixed(exec_=None, read=None, test=(), set_=None):
    """Answers that do not depend on the state: lists of lines per mode (None: +CME ERROR 3; "=?" answers OK
    unless told)."""
    answers = {"exec": exec_, "read": read, "test": test, "set": set_}

    def handler(m, mode, arg, now):
        lines = answers[mode]
        if lines is None:
            return [m.error(3)]
        lines = lines(m) if callable(lines) else lines
        return list(lines) + ["OK"]
    return handler


def setting(name, attr, values, test):
    """A session value read with "?" and written with "=" (``values``: the accepted spellings)."""
    def handler(m, mode, arg, now):
        if mode == "read":
            return [f"{name}: {getattr(m.session, attr)}", "OK"]
        if mode == "test":
            return [f"{name}: {test}", "OK"]
        if mode == "set" and arg in values:
            setattr(m.session, attr, int(arg))
            return ["OK"]
        return [m.error(3)]
    return handler


def ident(value):
    """An identification (AT+CGMI...): exec answers the value, "=?" OK."""
    def handler(m, mode, arg, now):
        if mode == "test":
            return ["OK"]
        if mode != "exec":
            return [m.error(3)]
        return [value(m), "OK"]
    return handler


# ---------------------------------------------------------------- V.250 basic commands

def at_z(m, mode, arg, now):
    m.reset_session()
    return ["OK"]


def at_e(m, mode, arg, now):
    if arg in ("", "0", "1"):
        m.session.echo = arg == "1"
        return ["OK"]
    return ["ERROR"]


def at_i(m, mode, arg, now):
    if arg not in ("", "0"):
        return ["ERROR"]
    p = m.profile
    if m.model == "sim800":
        return [f"{p.model_name.replace('SIMCOM_', '')} R14.18", "OK"]
    return [f"Manufacturer: {p.manufacturer}", f"Model: {p.model_name}",
            f"Revision: {p.revision.replace('+CGMR: ', '')}", f"IMEI: {m.imei}", "+GCAP: +CGSM", "OK"]


def accepts(*values):
    return lambda m, mode, arg, now: ["OK"] if arg in values else ["ERROR"]


def at_v(m, mode, arg, now):
    return ["OK"] if arg in ("", "1") else ["ERROR"]      # numeric result codes (V0) are not modelled


def s_register(number):
    def handler(m, mode, arg, now):
        if mode == "read":
            return [f"{m.session.sreg.get(number, 0):03d}", "OK"]
        if mode == "set" and (arg == "" or (arg.isdigit() and int(arg) <= 255)):
            m.session.sreg[number] = int(arg or 0)
            return ["OK"]
        return ["ERROR"]
    return handler


def at_and_v(m, mode, arg, now):
    s = m.session
    regs = [f"S{n}: {v}" for n, v in sorted(s.sreg.items())]
    return (["ACTIVE PROFILE:", f"E{int(s.echo)} Q0 V1 X4 &C1 &D1"] + regs
            + [f"+CMEE: {s.cmee}", f"+CMGF: {s.cmgf}", "+CNMI: " + ",".join(map(str, s.cnmi)),
               f"+CREG: {s.creg}", f'+CSCS: "{s.cscs}"', "+CSMP: " + ",".join(map(str, s.csmp)), "OK"])


# ---------------------------------------------------------------- status, SIM, network

cmee = setting("+CMEE", "cmee", ("0", "1", "2"), "(0-2)")


def cpin(m, mode, arg, now):
    card = m.card
    if mode == "read":
        return [f"+CPIN: {card.state}", "OK"]
    if mode == "test":
        return ["OK"]
    if mode == "set":
        values = [v.strip().strip('"') for v in arg.split(",")]
        asked = card.state
        outcome, code = card.enter(values[0], values[1] if len(values) > 1 else None)
        if outcome == "unlocked":
            m.journal.event("sim_unlocked")
            m.timers.call_later(0.0, m.urc, "SMS Ready" if m.model == "sim800" else "SMS DONE")
            return ["OK"]
        if outcome == "wrong" and asked == "SIM PIN":
            m.journal.event("wrong_pin", left=card.pin_tries, state=card.state)
        elif outcome == "wrong":
            m.journal.event("wrong_puk", left=card.puk_tries)
        return [m.error(code)]
    return [m.error(3)]


def spic(m, mode, arg, now):
    if mode == "test":
        return ["OK"]
    if mode != "exec":
        return [m.error(3)]
    return [f"+SPIC: {m.card.pin_tries},3,{m.card.puk_tries},10", "OK"]


def cfun(m, mode, arg, now):
    if mode == "read":
        return ["+CFUN: 1", "OK"]
    if mode == "test":
        return ["+CFUN: (0,1,4),(0,1)", "OK"]
    if mode == "set":
        parts = arg.split(",")
        if parts[0] not in ("0", "1", "4"):
            return [m.error(3)]
        if len(parts) > 1 and parts[1] == "1":
            m.timers.call_later(0.0, m.reboot, 0.0)
        return ["OK"]
    return [m.error(3)]


def csq(m, mode, arg, now):
    if mode == "test":
        return ["+CSQ: (0-31,99),(0-7,99)", "OK"]
    return ["+CSQ: 20,0" if m.registered() else "+CSQ: 99,99", "OK"]


def registration(name, attr, location, act=None):
    """+CREG / +CGREG / +CEREG: <n>,<stat>, and with n=2 the location area (or tracking area) and cell."""
    def handler(m, mode, arg, now):
        n = getattr(m.session, attr)
        if mode == "read":
            registered = m.registered()
            line = f"{name}: {n},{1 if registered else 2}"
            if n == 2 and registered:
                line += f',"{LAC}","{location}"' + (f",{act}" if act is not None else "")
            return [line, "OK"]
        if mode == "test":
            return [f"{name}: (0-2)", "OK"]
        if mode == "set" and arg in ("0", "1", "2"):
            setattr(m.session, attr, int(arg))
            return ["OK"]
        return [m.error(3)]
    return handler


def registration_urcs(m, registered):
    """The +CREG / +CGREG / +CEREG URCs after a registration change, for those enabled with =1 or =2."""
    s = m.session
    cell = CELL if m.model == "sim800" else CELL_4G
    kinds = [("+CREG", s.creg, ""), ("+CGREG", s.cgreg, "")]
    if m.model == "sim7600":
        kinds.append(("+CEREG", s.cereg, ",7"))
    urcs = []
    for name, n, act in kinds:
        if not n:
            continue
        if not registered:
            urcs.append(f"{name}: 2")
        else:
            urcs.append(f'{name}: 1,"{LAC}","{cell}"{act}' if n == 2 else f"{name}: 1")
    return urcs


def cops(m, mode, arg, now):
    s = m.session
    if mode == "read":
        if not m.registered():
            return ["+COPS: 0", "OK"]
        name = {0: '"Orange F"', 1: '"Orange"', 2: '"20801"'}[s.cops_format]
        return [f"+COPS: 0,{s.cops_format},{name}" + (",7" if m.model == "sim7600" else ""), "OK"]
    if mode == "test":
        return ['+COPS: (2,"Orange F","Orange","20801"),(3,"SFR","SFR","20810"),,(0-4),(0-2)', "OK"]
    if mode == "set":
        parts = arg.split(",")
        if parts[0] == "3" and len(parts) > 1 and parts[1] in ("0", "1", "2"):
            s.cops_format = int(parts[1])
            return ["OK"]
        if parts[0] in ("0", "1", "2", "4"):
            return ["OK"]
    return [m.error(3)]


def cgatt(m, mode, arg, now):
    if mode == "read":
        return [f"+CGATT: {int(m.registered())}", "OK"]
    if mode == "test":
        return ["+CGATT: (0,1)", "OK"]
    return ["OK"] if mode == "set" and arg in ("0", "1") else [m.error(3)]


def ceng(m, mode, arg, now):
    s = m.session
    if mode == "read":
        lines = [f"+CENG: {s.ceng},0"]
        if s.ceng and m.registered():
            lines.append(f'+CENG: 0,"0062,38,00,208,01,35,{CELL.lower()},05,00,{LAC.lower()},255"')
        return lines + ["OK"]
    if mode == "test":
        return ["+CENG: (0-4),(0-1)", "OK"]
    if mode == "set" and arg.split(",")[0] in ("0", "1", "2", "3", "4"):
        s.ceng = int(arg.split(",")[0])
        return ["OK"]
    return [m.error(3)]


def cpsi(m, mode, arg, now):
    if mode == "read":
        if not m.registered():
            return ["+CPSI: NO SERVICE,Online", "OK"]
        return [f"+CPSI: LTE,Online,208-01,0x{LAC},{int(CELL_4G, 16)},283,EUTRAN-BAND3,1850,5,5,-110,-1020,-750,12",
                "OK"]
    if mode == "test":
        return ["+CPSI: (0-255)", "OK"]
    return ["OK"] if mode == "set" and arg.isdigit() and int(arg) <= 255 else [m.error(3)]


_CNMP = ("2", "13", "14", "38", "48", "51", "54", "59", "60", "63", "67")


def cnmp(m, mode, arg, now):
    if mode == "read":
        return [f"+CNMP: {m.settings['cnmp']}", "OK"]
    if mode == "test":
        return [f"+CNMP: ({','.join(_CNMP)})", "OK"]
    if mode == "set" and arg in _CNMP:
        m.settings["cnmp"] = int(arg)
        return ["OK"]
    return [m.error(3)]


def cgps(m, mode, arg, now):
    if mode == "read":
        return [f"+CGPS: {m.settings['cgps']},1", "OK"]
    if mode == "test":
        return ["+CGPS: (0,1),(1-3)", "OK"]
    parts = arg.split(",")
    if mode == "set" and parts[0] in ("0", "1"):
        m.settings["cgps"] = int(parts[0])
        return ["OK"]
    return [m.error(3)]


def cgdcont(m, mode, arg, now):
    if mode == "read":
        return [f'+CGDCONT: {cid},"{pdp}","{apn}","0.0.0.0",0,0' for cid, (pdp, apn) in
                sorted(m.settings["contexts"].items())] + ["OK"]
    if mode == "test":
        return ['+CGDCONT: (1-3),"IP",,,(0-2),(0-4)', "OK"]
    if mode == "set":
        parts = [p.strip().strip('"') for p in arg.split(",")]
        if not parts[0].isdigit() or not 1 <= int(parts[0]) <= 3:
            return [m.error(3)]
        if len(parts) == 1:
            m.settings["contexts"].pop(int(parts[0]), None)
        else:
            m.settings["contexts"][int(parts[0])] = (parts[1] or "IP", parts[2] if len(parts) > 2 else "")
        return ["OK"]
    return [m.error(3)]


_RATES = ("0", "1200", "2400", "4800", "9600", "19200", "38400", "57600", "115200", "230400", "460800")


def ipr(m, mode, arg, now):
    if mode == "read":
        return [f"+IPR: {m.settings['ipr']}", "OK"]
    if mode == "test":
        return [f"+IPR: (),({','.join(_RATES)})", "OK"]
    if mode == "set" and arg in _RATES:
        m.settings["ipr"] = int(arg)       # a pty has no baud rate: accepted, nothing changes on the line
        return ["OK"]
    return [m.error(3)]


def cusd(m, mode, arg, now):
    if mode == "read":
        return [f"+CUSD: {m.session.cusd}", "OK"]
    if mode == "test":
        return ["+CUSD: (0-2)", "OK"]
    if mode != "set":
        return [m.error(3)]
    parts = [p.strip() for p in arg.split(",")]
    if parts[0] not in ("0", "1", "2"):
        return [m.error(3)]
    m.session.cusd = int(parts[0]) if parts[0] != "2" else 0
    if len(parts) > 1 and parts[1].strip('"'):
        if not m.registered():
            return [m.error(30)]
        m.timers.call_later(0.05, m.urc, '+CUSD: 0,"Votre credit est de 5,00 EUR.",15')
    return ["OK"]


# ---------------------------------------------------------------- clock

def _zone(quarters):
    return f"{'-' if quarters < 0 else '+'}{abs(quarters):02d}"


def cclk(m, mode, arg, now):
    if mode == "read":
        epoch, quarters = m.clock.now()
        stamp = time.strftime("%y/%m/%d,%H:%M:%S", time.gmtime(epoch + quarters * 900))
        return [f'+CCLK: "{stamp}{_zone(quarters)}"', "OK"]
    if mode == "test":
        return ["OK"]
    match = _CCLK_RE.match(arg) if mode == "set" else None
    if not match:
        return [m.error(3)]
    yy, mo, dd, hh, mi, ss, zz = match.groups()
    quarters = int(zz)
    try:
        import calendar
        epoch = calendar.timegm((2000 + int(yy), int(mo), int(dd), int(hh), int(mi), int(ss))) - quarters * 900
        time.gmtime(epoch)
    except (ValueError, OverflowError):
        return [m.error(3)]
    m.clock.set(epoch, quarters)
    return ["OK"]


def network_time_setting(name):
    """AT+CLTS (SIM800) / AT+CTZU (SIM7600): take the network's time (NITZ) for the module clock."""
    def handler(m, mode, arg, now):
        if mode == "read":
            return [f"{name}: {int(m.clock.network_time)}", "OK"]
        if mode == "test":
            return [f"{name}: (0,1)", "OK"]
        if mode == "set" and arg in ("0", "1"):
            m.clock.network_time = arg == "1"
            m.journal.event("network_time", enabled=arg == "1")
            return ["OK"]
        return [m.error(3)]
    return handler


# ---------------------------------------------------------------- SMS settings

cmgf = setting("+CMGF", "cmgf", ("0", "1"), "(0,1)")


def csca(m, mode, arg, now):
    if mode == "read":
        return [f'+CSCA: "{m.session.csca or m.smsc}",145', "OK"]
    if mode == "set":
        m.session.csca = arg.split(",")[0].strip('"')
        return ["OK"]
    return ["OK"] if mode == "test" else [m.error(3)]


def csmp(m, mode, arg, now):
    s = m.session
    if mode == "read":
        return ["+CSMP: " + ",".join(str(v) for v in s.csmp), "OK"]
    if mode == "set":
        try:
            values = tuple(int(v) for v in arg.split(","))
        except ValueError:
            return [m.error(303, "CMS")]
        s.csmp = values + s.csmp[len(values):]
        return ["OK"]
    return ["OK"] if mode == "test" else [m.error(3)]


def csms(m, mode, arg, now):
    if mode == "read":
        return [f"+CSMS: {m.session.csms},1,1,1", "OK"]
    if mode == "test":
        return ["+CSMS: (0,1)", "OK"]
    if mode == "set" and arg in ("0", "1"):
        m.session.csms = int(arg)
        return ["+CSMS: 1,1,1", "OK"]
    return [m.error(303, "CMS")]


def cnma(m, mode, arg, now):
    """Acknowledges a +CDS when AT+CSMS=1 asked for acknowledgements; otherwise nothing is expected (340)."""
    if mode == "test":
        return ["+CNMA: (0-2)", "OK"] if m.session.cmgf == 0 else ["OK"]
    if m.session.csms == 1 and m.session.ack_pending:
        m.session.ack_pending = False
        return ["OK"]
    return [m.error(340, "CMS")]


csdh = setting("+CSDH", "csdh", ("0", "1"), "(0,1)")


def cpms(m, mode, arg, now):
    store = m.storage
    offered = "(" + ",".join(f'"{mem}"' for mem in m.profile.storages) + ")"
    if mode == "test":
        return [f"+CPMS: {offered},{offered},{offered}", "OK"]
    if mode == "read":
        return ["+CPMS: " + ",".join(f'"{mem}",{store.used(mem)},{store.capacity(mem)}'
                                     for mem in store.memories), "OK"]
    if mode == "set":
        mems = [v.strip().strip('"').upper() for v in arg.split(",") if v.strip()]
        if not 1 <= len(mems) <= 3 or any(v not in m.profile.storages for v in mems):
            return [m.error(302, "CMS")]
        chosen = list(store.memories)
        chosen[:len(mems)] = mems
        m.session.cpms = chosen
        return ["+CPMS: " + ",".join(f"{store.used(v)},{store.capacity(v)}" for v in chosen), "OK"]
    return [m.error(3)]


def cnmi(m, mode, arg, now):
    s = m.session
    ds_max = 2 if m.profile.accepts_ds2 else 1
    if mode == "read":
        return ["+CNMI: " + ",".join(str(v) for v in s.cnmi), "OK"]
    if mode == "test":
        return [f"+CNMI: (0-3),(0-3),(0,2),{'(0-2)' if ds_max == 2 else '(0,1)'},(0,1)", "OK"]
    if mode == "set" and _CNMI_RE.match(arg):
        values = [int(v) for v in arg.split(",")]
        chosen = list(s.cnmi)
        chosen[:len(values)] = values
        mode_, mt, bm, ds, bfr = chosen
        if mode_ > 3 or mt > 3 or bm not in (0, 2) or bfr > 1 or ds > ds_max:
            return ["ERROR"]
        s.cnmi = tuple(chosen)
        return ["OK"]
    return ["ERROR"]


_CHARSETS = ("IRA", "GSM", "UCS2", "HEX", "PCCP", "PCDN", "8859-1")


def cscs(m, mode, arg, now):
    if mode == "test":
        return ["+CSCS: (" + ",".join(f'"{c}"' for c in _CHARSETS) + ")", "OK"]
    if mode == "read":
        return [f'+CSCS: "{m.session.cscs}"', "OK"]
    if mode == "set" and arg.strip('"').upper() in _CHARSETS:
        m.session.cscs = arg.strip('"').upper()
        return ["OK"]
    return [m.error(4)]


cmms = setting("+CMMS", "cmms", ("0", "1", "2"), "(0-2)")


def cpbs(m, mode, arg, now):
    books = ("SM", "ME", "FD", "LD", "MC", "RC", "ON")
    if mode == "read":
        return [f'+CPBS: "{m.session.cpbs}",0,{250 if m.session.cpbs == "SM" else 100}', "OK"]
    if mode == "test":
        return ["+CPBS: (" + ",".join(f'"{b}"' for b in books) + ")", "OK"]
    if mode == "set" and arg.strip('"').upper() in books:
        m.session.cpbs = arg.strip('"').upper()
        return ["OK"]
    return [m.error(3)]


def cpbr(m, mode, arg, now):
    """The phone book is empty: its size for "=?", no entry in any range."""
    size = 250 if m.session.cpbs == "SM" else 100
    if mode == "test":
        return [f"+CPBR: (1-{size}),40,14", "OK"]
    first = arg.split(",")[0]
    if mode == "set" and first.isdigit() and 1 <= int(first) <= size:
        return ["OK"]
    return [m.error(21 if mode == "set" else 3)]           # 21: invalid index


def cnum(m, mode, arg, now):
    if mode == "exec":
        return ['+CNUM: "","+33700000000",145', "OK"]
    return ["OK"]


def clac(m, mode, arg, now):
    if mode != "exec":
        return ["OK"] if mode == "test" else ["ERROR"]
    return [c.at for c in m.commands_table.values() if c.listed] + ["OK"]


# ---------------------------------------------------------------- messages (storage.py, sending.py)

def cmgs(m, mode, arg, now):
    return m.sender.cmgs(mode, arg, now)


def cmgr(m, mode, arg, now):
    if mode == "test":
        return ["OK"]
    if mode != "set":
        return [m.error(302, "CMS")]
    try:
        idx = int(arg.split(",")[0])
    except ValueError:
        return [m.error(321, "CMS")]
    lines = m.storage.read(idx)
    if lines is None:
        return ["OK"] if m.model == "sim800" else [m.error(321, "CMS")]
    return lines + ["OK"]


def cmgl(m, mode, arg, now):
    text_mode = m.session.cmgf == 1
    if mode == "test":
        if not text_mode:
            return ["+CMGL: (0-4)", "OK"]
        return ['+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")', "OK"]
    wanted = m.storage.status_wanted(arg or ('"REC UNREAD"' if text_mode else "0"))
    if wanted is None:
        return [m.error(302, "CMS")]
    return m.storage.listing(wanted) + ["OK"]


def cmgd(m, mode, arg, now):
    store = m.storage
    if mode == "test":
        return [f"+CMGD: ({','.join(str(i) for i in store.indices())}),(0-4)", "OK"]
    if mode != "set":
        return [m.error(302, "CMS")]
    parts = arg.split(",")
    try:
        idx = int(parts[0])
        flag = int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return [m.error(321, "CMS")]
    if not store.delete(idx, flag):
        return [m.error(302, "CMS")]
    return ["OK"]


# ---------------------------------------------------------------- the table

def _p(attr):
    return lambda m: getattr(m.profile, attr)


def _gsv(m):
    return [m.profile.manufacturer, m.profile.model_name, m.profile.revision]


def _iccid(m):
    return f"{ICCID_PREFIX}{int(m.imsi[-12:]):012d}"


COMMANDS = (
    # V.250
    Command("Z", at_z), Command("&F", at_z), Command("&W", _ok), Command("&V", at_and_v),
    Command("&D", accepts("", "0", "1", "2")), Command("&C", accepts("", "0", "1")),
    Command("H", accepts("", "0")), Command("E", at_e), Command("I", at_i), Command("V", at_v),
    Command("Q", accepts("", "0")), Command("X", accepts("", "0", "1", "2", "3", "4")),
    *(Command(f"S{n}", s_register(n), listed=n == 0) for n in (0, 3, 4, 5, 6, 7, 8, 10)),
    # identification and status
    Command("+CGMI", ident(_p("manufacturer"))), Command("+GMI", ident(_p("manufacturer"))),
    Command("+CGMM", ident(_p("model_name"))), Command("+GMM", ident(_p("model_name"))),
    Command("+CGMR", ident(_p("revision"))), Command("+GMR", ident(_p("revision"))),
    Command("+CGSN", ident(lambda m: m.imei)), Command("+GSN", ident(lambda m: m.imei)),
    Command("+GSV", fixed(exec_=_gsv), SIM800),
    Command("+GCAP", fixed(exec_=["+GCAP: +CGSM"])),
    Command("+CIMI", ident(lambda m: m.imsi), sim=True),
    Command("+CCID", fixed(exec_=lambda m: [_iccid(m)]), SIM800),
    Command("+CICCID", fixed(exec_=lambda m: [f"+ICCID: {_iccid(m)}"]), SIM7600),
    Command("+CSPN", fixed(read=['+CSPN: "Orange F",0']), SIM800, sim=True),
    Command("+CMEE", cmee), Command("+CPIN", cpin), Command("+SPIC", spic), Command("+CFUN", cfun),
    Command("+CPAS", fixed(exec_=["+CPAS: 0"], test=["+CPAS: (0-5)"])),
    Command("+CBC", fixed(exec_=["+CBC: 0,82,4012"], test=["+CBC: (0-2),(1-100),(voltage)"]), SIM800),
    Command("+CBC", fixed(exec_=["+CBC: 4.012V"]), SIM7600),
    Command("+IPR", ipr), Command("+CSCLK", setting("+CSCLK", "csclk", ("0", "1", "2"), "(0-2)"), SIM800),
    Command("+CCLK", cclk), Command("+CLTS", network_time_setting("+CLTS"), SIM800),
    Command("+CTZU", network_time_setting("+CTZU"), SIM7600),
    # network
    Command("+CSQ", csq),
    Command("+CREG", registration("+CREG", "creg", CELL), SIM800),
    Command("+CREG", registration("+CREG", "creg", CELL_4G), SIM7600),
    Command("+CGREG", registration("+CGREG", "cgreg", CELL), SIM800),
    Command("+CGREG", registration("+CGREG", "cgreg", CELL_4G), SIM7600),
    Command("+CEREG", registration("+CEREG", "cereg", CELL_4G, act=7), SIM7600),
    Command("+COPS", cops), Command("+CGATT", cgatt), Command("+CGDCONT", cgdcont),
    Command("+CENG", ceng, SIM800), Command("+CPSI", cpsi, SIM7600), Command("+CNMP", cnmp, SIM7600),
    Command("+CGPS", cgps, SIM7600),
    Command("+CUSD", cusd, sim=True),
    # calls and phone book (what a start-up line of smstools3 or gammu touches)
    Command("+CLIP", _ok), Command("+CRC", _ok), Command("+CVHU", _ok), Command("+CHUP", _ok),
    Command("+CPBS", cpbs, sim=True), Command("+CPBR", cpbr, sim=True), Command("+CNUM", cnum, sim=True),
    Command("+CCWA", setting("+CCWA", "ccwa", ("0", "1"), "(0,1)")),
    Command("+DDET", _ok, SIM800),
    # SMS
    Command("+CSMS", csms), Command("+CMGF", cmgf), Command("+CSCS", cscs), Command("+CSMP", csmp),
    Command("+CSDH", csdh), Command("+CNMI", cnmi),
    Command("+CSCA", csca, sim=True, sms=True), Command("+CPMS", cpms, sim=True, sms=True),
    Command("+CMMS", cmms, sim=True, sms=True), Command("+CNMA", cnma, sim=True, sms=True),
    Command("+CMGS", cmgs, sim=True, sms=True), Command("+CMGR", cmgr, sim=True, sms=True),
    Command("+CMGL", cmgl, sim=True, sms=True), Command("+CMGD", cmgd, sim=True, sms=True),
    Command("+CLAC", clac),
)
