#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the tests: Debian's slurm-wlm and munge,
# slurmctld and slurmd on loopback ports, all state in a temporary directory.
#   cluster.sh start ENV_FILE   start munged (unless one answers), slurmctld, slurmd; wait
#                               until the node is idle; write ENV_FILE (SLURM_CONF=...)
#   cluster.sh stop ENV_FILE    cancel every job, stop what start started, delete the state
# Root only (slurmd runs jobs as their users). CPUs=2, as this machine has.
set -euo pipefail
action=${1:?usage: $0 start|stop ENV_FILE}
env_file=${2:?usage: $0 start|stop ENV_FILE}
fail() { echo "FAIL: $*" >&2; exit 1; }

if [[ $action == stop ]]; then
  [[ -f $env_file ]] || exit 0
  dir=$(sed -n "s/^HYBRIDNET_TEST_SLURM_DIR='\(.*\)'$/\1/p" "$env_file")
  export SLURM_CONF=$dir/slurm.conf
  scancel --full --quiet -u root 2> /dev/null || true
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
    [[ -f $pidfile ]] && kill "$(cat "$pidfile")" 2> /dev/null || true
  done
  sleep 1
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
    [[ -f $pidfile ]] && kill -9 "$(cat "$pidfile")" 2> /dev/null || true
  done
  [[ -n $dir && -d $dir ]] && rm -rf "$dir"
  rm -f "$env_file"
  exit 0
fi
[[ $action == start ]] || { echo "usage: $0 start|stop ENV_FILE" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || fail "the test Slurm cluster needs root"
command -v slurmctld > /dev/null && command -v slurmd > /dev/null && command -v sbatch > /dev/null ||
  fail "no Slurm (apt-get install slurm-wlm munge)"
"$0" stop "$env_file"

dir=$(mktemp -d /tmp/hybridnet-slurm.XXXXXX)
chmod 755 "$dir"
mkdir -p "$dir/ctld" "$dir/spool"

# munge: the machine's daemon if one answers, else our own (as the munge user, its key).
if ! munge -n 2> /dev/null | unmunge > /dev/null 2>&1; then
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge: /run/munge /var/log/munge /var/lib/munge
  [[ -f /etc/munge/munge.key ]] || { /usr/sbin/mungekey --create > /dev/null 2>&1 || true; chown munge: /etc/munge/munge.key; }
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  cp /run/munge/munged.pid "$dir/munged.pid"
  for _ in $(seq 1 50); do munge -n 2> /dev/null | unmunge > /dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge > /dev/null || fail "munged did not start"
fi

# Two free loopback ports.
free_port() {
  for p in $(seq "$1" "$(($1 + 100))"); do
    (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null || { echo "$p"; return; }
  done
  fail "no free port from $1"
}
ctld_port=$(free_port 16817)
slurmd_port=$(free_port $((ctld_port + 1)))
host=$(hostname -s)
cat > "$dir/slurm.conf" <<CONF
ClusterName=hybridnet-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
KillWait=10
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
/usr/sbin/slurmctld -f "$SLURM_CONF" -i || { cat "$dir/slurmctld.log" >&2; fail "slurmctld did not start"; }
/usr/sbin/slurmd -f "$SLURM_CONF" || { cat "$dir/slurmd.log" >&2; fail "slurmd did not start"; }
for _ in $(seq 1 100); do
  state=$(sinfo -h -n "$host" -o %t 2> /dev/null || true)
  [[ $state == idle ]] && break
  sleep 0.2
done
[[ $state == idle ]] || { tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2; fail "node $host is '$state', not idle"; }
cat > "$env_file" <<ENV
HYBRIDNET_TEST_SLURM_DIR='$dir'
SLURM_CONF='$dir/slurm.conf'
ENV
echo "Slurm $(sinfo --version | awk '{print $2}') on $host: slurmctld :$ctld_port, slurmd :$slurmd_port, state in $dir"
