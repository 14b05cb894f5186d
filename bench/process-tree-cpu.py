"""Runs a command and prints the wall time and CPU time (user+sys) of its whole process tree, sampled from /proc every
100 ms, processes that outlive their parent included (Spark's JVM is not waited for by the Python that starts it,
so /usr/bin/time and getrusage miss it). On a shared machine CPU time compares where wall time does not.

    python3 bench/process-tree-cpu.py make test
    python3 bench/process-tree-cpu.py npx jest --ci --runInBand __tests__/local-run
"""
import os, subprocess, sys, time
TCK = os.sysconf('SC_CLK_TCK')
def stat(pid):
    try:
        s = open(f'/proc/{pid}/stat').read()
    except OSError:
        return None
    r = s[s.rfind(')')+2:].split()
    return int(r[1]), int(r[11]) + int(r[12]), r[19]  # ppid, utime+stime, starttime
t0 = time.time()
p = subprocess.Popen(sys.argv[1:])
known = {p.pid: None}  # (pid) -> starttime
cpu = {}
while True:
    procs = {}
    for d in os.listdir('/proc'):
        if d.isdigit():
            st = stat(int(d))
            if st: procs[int(d)] = st
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _, start) in procs.items():
            if pid not in known and ppid in known:
                known[pid] = start; changed = True
    for pid in list(known):
        if pid in procs:
            key = (pid, procs[pid][2])
            cpu[key] = procs[pid][1]
    if p.poll() is not None:
        alive = [pid for pid in known if pid in procs and pid != p.pid]
        if not alive: break
        if time.time() - t0 > 5000: break
    time.sleep(0.1)
wall = time.time() - t0
print(f"MEASURE wall {wall:.1f} s, cpu {sum(cpu.values())/TCK:.1f} s, processes {len(cpu)}, exit {p.returncode}", file=sys.stderr)
sys.exit(p.returncode)
