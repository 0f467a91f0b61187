"""The operator route: SMS through Kannel (bearerbox + smsbox) to an operator's SMSC over SMPP.

Only this package knows Kannel: its configuration (conf.py), its sendsms interface and dlr-mask.
"""
