"""What differs between the two modelled SIMCom modules, as data."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    model: str
    manufacturer: str        # AT+CGMI
    model_name: str          # AT+CGMM
    revision: str            # AT+CGMR
    storages: tuple          # memories offered by AT+CPMS=?
    capacity: dict           # slots per memory
    first_index: int         # SIM800 numbers SMS slots from 1, SIM7600 from 0
    accepts_ds2: bool        # AT+CNMI ... ds=2 (+CDSI "SR") supported
    cnmi_max_params: int     # SIM800 wants the 5-parameter form
    boot_lines: tuple        # unsolicited lines after power-up (SIM unlocked)
    extra_commands: tuple    # AT+CLAC entries beyond the common set
    cmgr_alpha: str          # how the empty <alpha> of +CMGR/+CMGL is written


COMMON_COMMANDS = (
    "ATZ", "ATE", "ATI", "AT&F", "AT+CGMI", "AT+CGMM", "AT+CGMR", "AT+CGSN", "AT+CIMI", "AT+CMEE", "AT+CPIN",
    "AT+CFUN", "AT+CSQ", "AT+CREG", "AT+COPS", "AT+CMGF", "AT+CSCA", "AT+CSMP", "AT+CPMS", "AT+CNMI",
    "AT+CSCS", "AT+CMGS", "AT+CMGR", "AT+CMGL", "AT+CMGD", "AT+CMMS", "AT+CLAC", "AT+CLIP", "AT+CRC",
    "AT+CVHU", "AT+CNUM",
)

SIM800 = Profile(
    model="sim800",
    manufacturer="SIMCOM_Ltd",
    model_name="SIMCOM_SIM800",
    revision="Revision:1418B04SIM800L24",
    storages=("SM", "ME", "SM_P", "ME_P", "MT"),
    capacity={"SM": 30, "ME": 50, "SM_P": 30, "ME_P": 50, "MT": 80, "SR": 50},
    first_index=1,
    accepts_ds2=False,
    cnmi_max_params=5,
    boot_lines=("RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"),
    extra_commands=("AT+DDET", "AT+CSCLK"),
    cmgr_alpha='""',
)

SIM7600 = Profile(
    model="sim7600",
    manufacturer="SIMCOM INCORPORATED",
    model_name="SIMCOM_SIM7600E-H",
    revision="+CGMR: LE20B04SIM7600M22",
    storages=("ME", "MT", "SM", "SR"),
    capacity={"ME": 255, "MT": 285, "SM": 30, "SR": 100},
    first_index=0,
    accepts_ds2=True,
    cnmi_max_params=5,
    boot_lines=("RDY", "+CFUN: 1", "+CPIN: READY", "SMS DONE", "PB DONE"),
    extra_commands=("AT+CGPS", "AT+CNMP"),
    cmgr_alpha="",
)

PROFILES = {"sim800": SIM800, "sim7600": SIM7600}
