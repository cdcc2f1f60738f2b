#define _GNU_SOURCE
#include "CPeerCred.h"
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stddef.h>

int keyhold_peer_cred(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
  if (pid) *pid = cred.pid;
  if (uid) *uid = cred.uid;
  if (gid) *gid = cred.gid;
  return 0;
}

int keyhold_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

int keyhold_disable_core_dumps(void) {
  struct rlimit rl = {0, 0};
  int a = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  int b = setrlimit(RLIMIT_CORE, &rl);
  return (a == 0 && b == 0) ? 0 : -1;
}

int keyhold_set_parent_death_signal(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }
