#!/usr/bin/env bash
# Vigientreprise installer for Raspberry Pi OS Bookworm: `sudo make install` runs it.
#
# Idempotent: running it again upgrades the software in place and keeps the configuration and
# the data. Everything it does is printed (in French, for the technician).
#
# Environment:
#   DESTDIR=/tmp/stage   install into a staging root: no user, no chown, no systemctl, no udev reload
#   VIGIE_STAGE=1        also skip the virtual environment and pip (for tests and image building)
#   VIGIE_SKIP_USER=1 VIGIE_SKIP_VENV=1 VIGIE_SKIP_PIP=1 VIGIE_SKIP_SYSTEMD=1   skip one step
#   VIGIE_PYTHON         interpreter that creates the venv (default python3); when staging, the one
#                        used to write the default configuration (must import vigie)
#   VIGIE_WHEELS         folder of wheels for an offline pip install (default: <sources>/wheels)
#   VIGIE_PIP_OPTS       extra options for pip
#   VIGIE_KANNEL=1       also install Debian's Kannel (bearerbox + smsbox) for an operator route, and
#                        write /etc/kannel/kannel.conf when VIGIE_SMPP_HOST, VIGIE_SMPP_SYSTEM_ID and
#                        VIGIE_SMPP_PASSWORD (optional VIGIE_SMPP_PORT, VIGIE_SMPP_SYSTEM_TYPE) are given
#   VIGIE_TIMEZONE       the box's time zone (default Europe/Paris: the times people read are French)
set -euo pipefail
umask 022                # the venv and the units must be readable whatever root's umask is

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DESTDIR="${DESTDIR:-}"
DESTDIR="${DESTDIR%/}"
PREFIX=/opt/vigientreprise
CONFDIR=/etc/vigientreprise
CONFIG="$CONFDIR/vigie.toml"
STATEDIR=/var/lib/vigientreprise
UNITDIR=/etc/systemd/system
UDEVDIR=/etc/udev/rules.d
BINLINK=/usr/local/bin/vigie
USER_NAME=vigie
UNITS="vigientreprise.service vigientreprise-web.service vigientreprise-backup.service vigientreprise-backup.timer"
ENABLE="vigientreprise.service vigientreprise-web.service vigientreprise-backup.timer"
PYTHON="${VIGIE_PYTHON:-python3}"
TIMEZONE="${VIGIE_TIMEZONE:-Europe/Paris}"

say()  { printf 'vigie-install : %s\n' "$*"; }
warn() { printf 'vigie-install : attention : %s\n' "$*" >&2; }
die()  { printf 'vigie-install : erreur : %s\n' "$*" >&2; exit 1; }
yes_() { [ "${1:-0}" = "1" ] || [ "${1:-}" = "yes" ] || [ "${1:-}" = "oui" ]; }

STAGE=0;        yes_ "${VIGIE_STAGE:-0}" && STAGE=1
SKIP_USER=0;    { [ -n "$DESTDIR" ] || [ $STAGE = 1 ] || yes_ "${VIGIE_SKIP_USER:-0}"; } && SKIP_USER=1
SKIP_VENV=0;    { [ $STAGE = 1 ] || yes_ "${VIGIE_SKIP_VENV:-0}"; } && SKIP_VENV=1
SKIP_PIP=0;     { [ $SKIP_VENV = 1 ] || yes_ "${VIGIE_SKIP_PIP:-0}"; } && SKIP_PIP=1
SKIP_SYSTEMD=0; { [ -n "$DESTDIR" ] || [ $STAGE = 1 ] || yes_ "${VIGIE_SKIP_SYSTEMD:-0}" \
                  || [ ! -d /run/systemd/system ]; } && SKIP_SYSTEMD=1
LIVE=1;         { [ -n "$DESTDIR" ] || [ $STAGE = 1 ]; } && LIVE=0

if [ $LIVE = 1 ] && [ "$(id -u)" != 0 ]; then
    die "à lancer en administrateur : sudo make install (ou DESTDIR=... VIGIE_STAGE=1 pour une préparation)"
fi

say "sources : $SRC"
if [ -n "$DESTDIR" ]; then
    say "installation dans la zone de préparation $DESTDIR"
fi

# install -d with owner only on the live system (the staging root has no user vigie)
mkdir_owned() {  # mode owner group path
    if [ $SKIP_USER = 0 ]; then
        install -d -m "$1" -o "$2" -g "$3" "$DESTDIR$4"
    else
        install -d -m "$1" "$DESTDIR$4"
    fi
}

# --- 1. system user --------------------------------------------------------------------------
if [ $SKIP_USER = 0 ]; then
    if getent passwd "$USER_NAME" >/dev/null; then
        say "utilisateur système « $USER_NAME » déjà présent"
    else
        say "création de l'utilisateur système « $USER_NAME »"
        useradd --system --user-group --home-dir "$STATEDIR" --no-create-home \
                --shell /usr/sbin/nologin --comment "Vigientreprise" "$USER_NAME"
    fi
    if ! getent group gpio >/dev/null; then
        say "groupe « gpio » absent (ce n'est pas un Raspberry Pi ?) : création, pour que le service démarre"
        groupadd --system gpio
    fi
    for group in dialout gpio; do
        if getent group "$group" >/dev/null && ! id -nG "$USER_NAME" | tr ' ' '\n' | grep -qx "$group"; then
            say "ajout de « $USER_NAME » au groupe $group"
            usermod -a -G "$group" "$USER_NAME"
        fi
    done
else
    say "utilisateur système : étape sautée (zone de préparation)"
fi

# --- 2. stop what runs, so that the upgrade does not happen under the daemon's feet ------------
WAS_ACTIVE=""
if [ $SKIP_SYSTEMD = 0 ]; then
    for unit in $ENABLE; do
        if systemctl is-active --quiet "$unit"; then
            WAS_ACTIVE="$WAS_ACTIVE $unit"
        fi
    done
    if [ -n "$WAS_ACTIVE" ]; then
        say "arrêt pendant la mise à jour :$WAS_ACTIVE"
        systemctl stop $WAS_ACTIVE
    fi
fi

# --- 3. virtual environment and the software ---------------------------------------------------
install -d -m 0755 "$DESTDIR$PREFIX"
if [ $SKIP_VENV = 0 ]; then
    if [ -x "$DESTDIR$PREFIX/bin/python" ]; then
        say "environnement Python existant : $PREFIX"
    else
        say "création de l'environnement Python $PREFIX (avec les paquets Python du système : python3-lgpio)"
        "$PYTHON" -m venv --system-site-packages "$DESTDIR$PREFIX"
    fi
    if [ $SKIP_PIP = 0 ]; then
        WHEELS="${VIGIE_WHEELS:-$SRC/wheels}"
        PIP_OPTS=(--quiet --disable-pip-version-check --no-input)
        if [ -d "$WHEELS" ]; then
            say "paquets Python hors ligne depuis $WHEELS"
            PIP_OPTS+=(--no-index --find-links "$WHEELS")
        fi
        # shellcheck disable=SC2206
        PIP_OPTS+=(${VIGIE_PIP_OPTS:-})
        say "installation du logiciel dans $PREFIX (pip)"
        "$DESTDIR$PREFIX/bin/python" -m pip install "${PIP_OPTS[@]}" "$SRC"
    else
        say "pip : étape sautée"
    fi
else
    say "environnement Python et pip : étape sautés (VIGIE_STAGE)"
fi
if [ $SKIP_VENV = 0 ] && grep -qs "Raspberry Pi" /proc/device-tree/model \
        && ! "$DESTDIR$PREFIX/bin/python" -c "import lgpio" 2>/dev/null; then
    warn "module lgpio introuvable : le bouton et le voyant ne fonctionneront pas (sudo apt install python3-lgpio)"
fi
VIGIE_BIN="$PREFIX/bin/vigie"
if [ -x "$DESTDIR$VIGIE_BIN" ] || [ $SKIP_VENV = 1 ]; then
    install -d -m 0755 "$DESTDIR$(dirname "$BINLINK")"
    if [ "$(readlink "$DESTDIR$BINLINK" 2>/dev/null || true)" != "$VIGIE_BIN" ]; then
        say "commande « vigie » : lien $BINLINK → $VIGIE_BIN"
        ln -sfn "$VIGIE_BIN" "$DESTDIR$BINLINK"
    fi
fi

# documentation next to the software (the units' Documentation= points here)
install -d -m 0755 "$DESTDIR$PREFIX/share/doc/hardware"
install -m 0644 "$SRC/hardware/README.md" "$DESTDIR$PREFIX/share/doc/hardware/README.md"
install -m 0644 "$SRC/hardware/99-vigientreprise.rules" "$DESTDIR$PREFIX/share/doc/hardware/99-vigientreprise.rules"

# --- 4. data directory ------------------------------------------------------------------------
say "dossier des données $STATEDIR (propriétaire $USER_NAME, droits 0750)"
mkdir_owned 0750 "$USER_NAME" "$USER_NAME" "$STATEDIR"
mkdir_owned 0750 "$USER_NAME" "$USER_NAME" "$STATEDIR/backups"

# --- 5. configuration: written once, kept by every upgrade -------------------------------------
if [ $SKIP_USER = 0 ]; then
    install -d -m 0750 -o root -g "$USER_NAME" "$DESTDIR$CONFDIR"
else
    install -d -m 0750 "$DESTDIR$CONFDIR"
fi
if [ -e "$DESTDIR$CONFIG" ]; then
    say "configuration existante conservée : $CONFIG"
    if [ $LIVE = 1 ] && [ -x "$VIGIE_BIN" ]; then
        say "mise à jour de la base de données (migrations, valeurs par défaut manquantes)"
        runuser -u "$USER_NAME" -- "$VIGIE_BIN" --config "$CONFIG" init
    fi
elif [ $LIVE = 1 ] && [ -x "$VIGIE_BIN" ]; then
    say "création de la configuration et de la base : vigie init"
    "$VIGIE_BIN" --config "$CONFIG" init
    chown -R "$USER_NAME:$USER_NAME" "$STATEDIR"
    chmod -R o-rwx "$STATEDIR"
else
    # staging: the same file `vigie init` writes, without creating a database outside the stage
    say "création de la configuration par défaut : $CONFIG (la base sera créée par « vigie init » sur la box)"
    "$PYTHON" -c 'import sys; from vigie.daemon.core import config; sys.stdout.write(config.default_file())' \
        > "$DESTDIR$CONFIG.tmp" || { rm -f "$DESTDIR$CONFIG.tmp"; die "impossible d'écrire la configuration ($PYTHON ne trouve pas vigie)"; }
    mv "$DESTDIR$CONFIG.tmp" "$DESTDIR$CONFIG"
fi
chmod 0640 "$DESTDIR$CONFIG"
if [ $SKIP_USER = 0 ]; then
    chown "root:$USER_NAME" "$DESTDIR$CONFIG"
fi

# --- 5b. time zone: Europe/Paris, whatever the image shipped with (journal, backups, cron) ----------
[ -e "/usr/share/zoneinfo/$TIMEZONE" ] || [ -e "$DESTDIR/usr/share/zoneinfo/$TIMEZONE" ] \
    || warn "fuseau horaire $TIMEZONE absent de /usr/share/zoneinfo (paquet tzdata ?)"
if [ "$(readlink "$DESTDIR/etc/localtime" 2>/dev/null || true)" = "/usr/share/zoneinfo/$TIMEZONE" ] \
        && [ "$(cat "$DESTDIR/etc/timezone" 2>/dev/null || true)" = "$TIMEZONE" ]; then
    say "fuseau horaire à jour : $TIMEZONE"
else
    say "fuseau horaire : $TIMEZONE"
    # what timedatectl set-timezone and dpkg-reconfigure tzdata write; services read it at their start
    install -d -m 0755 "$DESTDIR/etc"
    ln -sfn "/usr/share/zoneinfo/$TIMEZONE" "$DESTDIR/etc/localtime"
    printf '%s\n' "$TIMEZONE" > "$DESTDIR/etc/timezone"
    chmod 0644 "$DESTDIR/etc/timezone"
fi

# --- 6. udev rule: /dev/gsm-modem --------------------------------------------------------------
install -d -m 0755 "$DESTDIR$UDEVDIR"
if ! cmp -s "$SRC/hardware/99-vigientreprise.rules" "$DESTDIR$UDEVDIR/99-vigientreprise.rules"; then
    say "règle udev : $UDEVDIR/99-vigientreprise.rules (/dev/gsm-modem)"
    install -m 0644 "$SRC/hardware/99-vigientreprise.rules" "$DESTDIR$UDEVDIR/99-vigientreprise.rules"
    if [ $LIVE = 1 ] && command -v udevadm >/dev/null; then
        udevadm control --reload || warn "rechargement des règles udev impossible"
        udevadm trigger --subsystem-match=tty || true
    fi
else
    say "règle udev à jour"
fi

# --- 7. systemd units ----------------------------------------------------------------------------
install -d -m 0755 "$DESTDIR$UNITDIR"
for unit in $UNITS; do
    install -m 0644 "$SRC/systemd/$unit" "$DESTDIR$UNITDIR/$unit"
done
say "services systemd installés : $UNITS"

# the console on a port below 1024 needs CAP_NET_BIND_SERVICE, and only then
WEB_PORT="$(sed -n '/^\[web\]/,/^\[/{s/^port[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p}' "$DESTDIR$CONFIG" | head -n1)"
DROPIN="$DESTDIR$UNITDIR/vigientreprise-web.service.d"
if [ -n "$WEB_PORT" ] && [ "$WEB_PORT" -lt 1024 ]; then
    say "console web sur le port $WEB_PORT (< 1024) : droit CAP_NET_BIND_SERVICE accordé au seul service web"
    install -d -m 0755 "$DROPIN"
    printf '# Écrit par install.sh : [web] port = %s est inférieur à 1024.\n[Service]\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n' \
        "$WEB_PORT" > "$DROPIN/port.conf"
    chmod 0644 "$DROPIN/port.conf"
elif [ -e "$DROPIN/port.conf" ]; then
    say "console web sur le port ${WEB_PORT:-?} : droit CAP_NET_BIND_SERVICE retiré"
    rm -f "$DROPIN/port.conf"
    rmdir "$DROPIN" 2>/dev/null || true
fi

if [ $SKIP_SYSTEMD = 0 ]; then
    say "systemctl daemon-reload, puis activation et démarrage : $ENABLE"
    systemctl daemon-reload
    systemctl enable --now $ENABLE
    say "état : $(systemctl is-active vigientreprise.service || true) (journal : journalctl -u vigientreprise -f)"
else
    say "services non activés (zone de préparation ou systemd absent) : sur la box, lancer"
    say "  sudo systemctl daemon-reload && sudo systemctl enable --now $ENABLE"
fi

# --- 8. operator route (on demand): Debian's Kannel --------------------------------------------
if yes_ "${VIGIE_KANNEL:-0}"; then
    if [ $LIVE = 1 ]; then
        if ! [ -x /usr/sbin/bearerbox ]; then
            say "route opérateur : installation du paquet Debian kannel (bearerbox + smsbox)"
            DEBIAN_FRONTEND=noninteractive apt-get install -y kannel || die "installation de Kannel impossible"
        else
            say "route opérateur : Kannel déjà installé"
        fi
        install -d -m 0750 -o kannel -g kannel /var/spool/kannel /var/spool/kannel/dlr /var/log/kannel
        if [ -f /etc/default/kannel ]; then     # the box's route needs smsbox, never wapbox
            sed -i -e 's/^#\?START_SMSBOX=.*/START_SMSBOX=1/' -e 's/^#\?START_WAPBOX=.*/START_WAPBOX=0/' /etc/default/kannel
            grep -q '^START_SMSBOX=1' /etc/default/kannel || echo 'START_SMSBOX=1' >> /etc/default/kannel
        fi
        if [ -n "${VIGIE_SMPP_HOST:-}" ] && [ -n "${VIGIE_SMPP_SYSTEM_ID:-}" ] && [ -n "${VIGIE_SMPP_PASSWORD:-}" ]; then
            say "route opérateur : écriture de /etc/kannel/kannel.conf (vigie kannel config)"
            set -- --smpp-host "$VIGIE_SMPP_HOST" --system-id "$VIGIE_SMPP_SYSTEM_ID" --smpp-password "$VIGIE_SMPP_PASSWORD"
            [ -n "${VIGIE_SMPP_PORT:-}" ] && set -- "$@" --smpp-port "$VIGIE_SMPP_PORT"
            [ -n "${VIGIE_SMPP_SYSTEM_TYPE:-}" ] && set -- "$@" --system-type "$VIGIE_SMPP_SYSTEM_TYPE"
            "$VIGIE_BIN" --config "$CONFIG" kannel config "$@" --output /etc/kannel/kannel.conf \
                || die "kannel.conf non écrit : ajoutez une table [[kannel]] à $CONFIG (voir le README)"
            chmod 0640 /etc/kannel/kannel.conf && chown root:kannel /etc/kannel/kannel.conf
            if [ $SKIP_SYSTEMD = 0 ]; then
                systemctl enable kannel && systemctl restart kannel
                say "Kannel : $(systemctl is-active kannel || true) (journal : /var/log/kannel/)"
            fi
        else
            say "route opérateur : Kannel installé ; quand l'opérateur aura donné ses accès SMPP, lancer"
            say "  sudo VIGIE_KANNEL=1 VIGIE_SMPP_HOST=... VIGIE_SMPP_SYSTEM_ID=... VIGIE_SMPP_PASSWORD=... make install"
        fi
    else
        say "route opérateur : zone de préparation, Kannel n'est pas installé ; sur la box :"
        say "  sudo VIGIE_KANNEL=1 VIGIE_SMPP_HOST=... VIGIE_SMPP_SYSTEM_ID=... VIGIE_SMPP_PASSWORD=... make install"
    fi
fi

say "installation terminée."
