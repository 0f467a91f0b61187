#!/usr/bin/env bash
# Vigientreprise uninstaller: `sudo make uninstall` runs it.
#
# Removes the software, the services and the udev rule. Never removes the data
# (/var/lib/vigientreprise: database and backups) nor the user vigie that owns it.
# The configuration (/etc/vigientreprise) is kept too, unless --purge is given.
#
# Environment: DESTDIR (staging root, as for install.sh), VIGIE_STAGE=1 / VIGIE_SKIP_SYSTEMD=1.
set -euo pipefail

DESTDIR="${DESTDIR:-}"
DESTDIR="${DESTDIR%/}"
PREFIX=/opt/vigientreprise
CONFDIR=/etc/vigientreprise
STATEDIR=/var/lib/vigientreprise
UNITDIR=/etc/systemd/system
UDEVDIR=/etc/udev/rules.d
BINLINK=/usr/local/bin/vigie
UNITS="vigientreprise.service vigientreprise-web.service vigientreprise-backup.service vigientreprise-backup.timer"

say()  { printf 'vigie-uninstall : %s\n' "$*"; }
die()  { printf 'vigie-uninstall : erreur : %s\n' "$*" >&2; exit 1; }
yes_() { [ "${1:-0}" = "1" ] || [ "${1:-}" = "yes" ] || [ "${1:-}" = "oui" ]; }

PURGE=0
for arg in "$@"; do
    case "$arg" in
        --purge) PURGE=1 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) die "option inconnue : $arg (seule --purge est reconnue)" ;;
    esac
done

LIVE=1
{ [ -n "$DESTDIR" ] || yes_ "${VIGIE_STAGE:-0}"; } && LIVE=0
SKIP_SYSTEMD=0
{ [ $LIVE = 0 ] || yes_ "${VIGIE_SKIP_SYSTEMD:-0}" || [ ! -d /run/systemd/system ]; } && SKIP_SYSTEMD=1

if [ $LIVE = 1 ] && [ "$(id -u)" != 0 ]; then
    die "à lancer en administrateur : sudo make uninstall"
fi

if [ $SKIP_SYSTEMD = 0 ]; then
    say "arrêt et désactivation des services"
    systemctl disable --now $UNITS 2>/dev/null || true
fi
for unit in $UNITS; do
    if [ -e "$DESTDIR$UNITDIR/$unit" ]; then
        say "suppression de $UNITDIR/$unit"
        rm -f "$DESTDIR$UNITDIR/$unit"
    fi
done
if [ -d "$DESTDIR$UNITDIR/vigientreprise-web.service.d" ]; then
    rm -rf "$DESTDIR$UNITDIR/vigientreprise-web.service.d"
fi
if [ $SKIP_SYSTEMD = 0 ]; then
    systemctl daemon-reload
fi

if [ -e "$DESTDIR$UDEVDIR/99-vigientreprise.rules" ]; then
    say "suppression de la règle udev (/dev/gsm-modem)"
    rm -f "$DESTDIR$UDEVDIR/99-vigientreprise.rules"
    if [ $LIVE = 1 ] && command -v udevadm >/dev/null; then
        udevadm control --reload || true
    fi
fi

if [ -L "$DESTDIR$BINLINK" ] || [ -e "$DESTDIR$BINLINK" ]; then
    rm -f "$DESTDIR$BINLINK"
fi
if [ -d "$DESTDIR$PREFIX" ]; then
    say "suppression du logiciel ($PREFIX)"
    rm -rf "$DESTDIR$PREFIX"
fi

if [ $PURGE = 1 ] && [ -d "$DESTDIR$CONFDIR" ]; then
    say "suppression de la configuration ($CONFDIR)"
    rm -rf "$DESTDIR$CONFDIR"
elif [ -d "$DESTDIR$CONFDIR" ]; then
    say "configuration conservée : $CONFDIR (--purge pour l'effacer)"
fi
say "données conservées : $STATEDIR (base et sauvegardes) ; utilisateur « vigie » conservé"
say "désinstallation terminée."
