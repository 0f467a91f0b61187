"""What differs between the two modelled SIMCom modules, as data (the commands each has: commands.py)."""

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
    boot_lines: tuple        # unsolicited lines after power-up (SIM unlocked)
    cmgr_alpha: str          # how the empty <alpha> of +CMGR/+CMGL is written


SIM800 = Profile(
    model="sim800",
    manufacturer="SIMCOM_Ltd",
    model_name="SIMCOM_SIM800",
    revision="Revision:1418B04SIM800L24",
    storages=("SM", "ME", "SM_P", "ME_P", "MT"),
    capacity={"SM": 30, "ME": 50, "SM_P": 30, "ME_P": 50, "MT": 80, "SR": 50},
    first_index=1,
    accepts_ds2=False,
    boot_lines=("RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"),
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
    boot_lines=("RDY", "+CFUN: 1", "+CPIN: READY", "SMS DONE", "PB DONE"),
    cmgr_alpha="",
)

PROFILES = {"sim800": SIM800, "sim7600": SIM7600}
