#ifndef KEYHOLD_CPEERCRED_H
#define KEYHOLD_CPEERCRED_H
#include <sys/types.h>
#include "CEventPoll.h"

/// Reads the peer's credentials of a connected Unix socket (SO_PEERCRED). Returns 0 on success, -1 with errno set.
int keyhold_peer_cred(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

/// accept4(2) with SOCK_CLOEXEC; returns the new descriptor or -1 with errno set.
int keyhold_accept_cloexec(int fd);

/// prctl(PR_SET_DUMPABLE, 0) and RLIMIT_CORE = 0. Returns 0 on success.
int keyhold_disable_core_dumps(void);
/// prctl(PR_SET_PDEATHSIG, sig): deliver `sig` to this process when its parent exits. Returns 0 on success.
int keyhold_set_parent_death_signal(int sig);
#endif
