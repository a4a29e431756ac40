# Where a process's resident memory is: reads /proc/PID/smaps and prints one line per
# mapping holding at least 64 KiB, largest first is left to `sort`:
#   RSS_KIB ANON_KIB PRIVATE_DIRTY_KIB PERMS NAME
# NAME is the file (basename), or [heap], [stack], or [anon] for mimalloc's arenas and
# thread stacks. Used by bench/checker/run.sh and vm.sh (busybox awk in the VM).
function flush() {
  if (name != "" && rss >= 64) printf "%6d %6d %6d %s %s\n", rss, anon, dirty, perms, name
}
/^[0-9a-f]+-[0-9a-f]+ / {
  flush()
  perms = $2
  name = (NF >= 6) ? $6 : "[anon]"
  sub(/.*\//, "", name)
  rss = 0; anon = 0; dirty = 0
  next
}
$1 == "Rss:" { rss = $2 }
$1 == "Anonymous:" { anon = $2 }
$1 == "Private_Dirty:" { dirty = $2 }
END { flush() }
