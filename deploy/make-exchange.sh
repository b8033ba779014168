#!/bin/sh
# Make nbgrader's exchange for the course, once, as root:
#
#     sudo sh deploy/make-exchange.sh INSTRUCTOR [EXCHANGE_ROOT] [COURSE_ID]
#
# INSTRUCTOR is the system user who releases and collects; EXCHANGE_ROOT defaults to
# /srv/nbgrader/exchange (as in deploy/jupyter/nbgrader_config.py), COURSE_ID to bpkit.
# The modes are nbgrader's own, with a sticky bit added where everyone may write:
#
#   EXCHANGE_ROOT             root       1777  anyone may add a course; only its owner may
#                                              rename or remove it (sticky)
#   COURSE_ID/                instructor 0755
#   COURSE_ID/outbound/       instructor 0755  released assignments: everyone reads
#   COURSE_ID/inbound/        instructor 3733  submissions: everyone may add one, no student
#                                              may list the folder (so none learns the others'
#                                              submission names, which end in 12 random
#                                              characters) nor rename or remove another's
#                                              (sticky); new entries take the instructor's
#                                              group (setgid)
#   COURSE_ID/feedback/       instructor 0711  feedback pages named by a hash of a secret only
#                                              the submitting student holds: nobody may list it
set -eu
if [ "$#" -lt 1 ] || [ "$#" -gt 3 ]; then
    echo "usage: sudo sh $0 INSTRUCTOR [EXCHANGE_ROOT] [COURSE_ID]" >&2
    exit 2
fi
instructor=$1
root=${2:-/srv/nbgrader/exchange}
course=${3:-bpkit}
group=$(id -gn "$instructor")

mkdir -p "$root"
chown root:root "$root"
chmod 1777 "$root"
for sub in "" /outbound /inbound /feedback; do
    mkdir -p "$root/$course$sub"
    chown "$instructor:$group" "$root/$course$sub"
done
chmod 0755 "$root/$course" "$root/$course/outbound"
chmod 3733 "$root/$course/inbound"
chmod 0711 "$root/$course/feedback"
echo "exchange for course '$course' ready in $root (instructor: $instructor)"
