"""The LAN web console: members, targeted alerts, live delivery tracking, accounts.

It meets the daemon only in the database: it inserts alerts through the domain functions and reads
states. It never imports modem or GPIO code.
"""
