#ifndef KEYHOLD_CEVENTPOLL_H
#define KEYHOLD_CEVENTPOLL_H
#include <stdint.h>

/// Readiness bits reported by keyhold_epoll_wait (the shim's own encoding, so Swift never sees the packed
/// struct epoll_event).
enum {
  KEYHOLD_POLL_READABLE = 1,
  KEYHOLD_POLL_WRITABLE = 2,
  KEYHOLD_POLL_HANGUP = 4,
};

/// epoll_create1(EPOLL_CLOEXEC); the descriptor or -1 with errno set.
int keyhold_epoll_create(void);
/// EPOLL_CTL_ADD (`add` != 0) or EPOLL_CTL_MOD of `fd`, level-triggered, EPOLLIN when `readable`, EPOLLOUT when
/// `writable`, EPOLLONESHOT when `oneshot`; `token` comes back from keyhold_epoll_wait. 0 or -1 with errno set.
int keyhold_epoll_set(int epfd, int fd, int add, int readable, int writable, int oneshot, uint64_t token);
/// epoll_wait for up to `capacity` events: their tokens and KEYHOLD_POLL_* bits. The count or -1 with errno set.
int keyhold_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms);
/// accept4(2) with SOCK_CLOEXEC | SOCK_NONBLOCK; the new descriptor or -1 with errno set.
int keyhold_accept_nonblocking(int fd);
/// eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); the descriptor or -1 with errno set.
int keyhold_eventfd(void);
/// Names the calling thread (at most 15 bytes are kept), so /proc/PID/task/TID/comm shows whose it is.
void keyhold_set_thread_name(const char *name);
/// Sets O_NONBLOCK on `fd`. 0 or -1 with errno set.
int keyhold_set_nonblocking(int fd);
#endif
