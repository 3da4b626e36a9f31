#!/usr/bin/env bash
# A single-node Slurm (Debian slurm-wlm + munge) on this machine, running deploy/slurm.sbatch
# as a 3-task array over tests/data, then the merge, compared byte for byte with the single run.
# Not part of scripts/test.sh (needs root, starts daemons): run as `sudo scripts/slurm-local.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v slurmctld >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
cargo build --release -q --bin dicom-deid
bin=$PWD/target/release/dicom-deid
host=$(hostname -s)
cpus=$(nproc)
# munge: a key, then the daemon.
[ -f /etc/munge/munge.key ] || { mungekey -c 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none; }
chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
mkdir -p /run/munge && chown munge:munge /run/munge
pgrep -x munged >/dev/null || runuser -u munge -- munged
# slurm: one node, no cgroups.
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed" && break; sleep 1; done
# The run: single, plan, 3 shards as an array job, merge.
work=$(mktemp -d /tmp/dicom-deid-slurm.XXXXXX); chmod 755 "$work"
echo "slurm-local-test-secret" > "$work/secret"; chmod 600 "$work/secret"
inputs=$(ls -d "$PWD"/tests/data/* | grep -v -e fuzz-regressions -e /pixels)
opts=(--unreviewed keep)
"$bin" -q "${opts[@]}" --secret-file "$work/secret" --out "$work/single.zip" $inputs
"$bin" -q "${opts[@]}" --secret-file "$work/secret" --plan-out "$work/plan.json" $inputs
( cd "$work" && DICOM_DEID=$bin sbatch --wait --array=1-3 --cpus-per-task=1 \
    "$OLDPWD/deploy/slurm.sbatch" "$work/plan.json" "$work/secret" "$work" "${opts[@]}" $inputs )
"$bin" -q --merge "$work"/part-*.zip "$work"/key-*.csv "$work"/log-*.csv \
  --out "$work/all.zip" --key "$work/all-key.csv" --log "$work/all-log.csv"
cmp "$work/single.zip" "$work/all.zip"
cmp "$work/single-key.csv" "$work/all-key.csv"
cmp "$work/single-log.csv" "$work/all-log.csv"
echo "slurm: 3 array tasks merged into the single run's zip, key and log ($work)"
