# What the bench scripts read of a process and the clock (sourced, from the repository's root).
HZ=$(getconf CLK_TCK)
now() { python3 -c 'import time; print(f"{time.time():.3f}")'; }
# A field of /proc/PID/status in kB: field VmRSS PID.
field() { awk -v k="$1" '$1==k":" {print $2}' "/proc/$2/status"; }
# User and system CPU of PID so far, in clock ticks (HZ a second).
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
