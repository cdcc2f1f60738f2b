#define _GNU_SOURCE
#include "CEventPoll.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>

int keyhold_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int keyhold_epoll_set(int epfd, int fd, int add, int readable, int writable, int oneshot, uint64_t token) {
  struct epoll_event ev;
  ev.events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0) | (oneshot ? EPOLLONESHOT : 0);
  ev.data.u64 = token;
  return epoll_ctl(epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
}

int keyhold_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms) {
  struct epoll_event ready[256];
  if (capacity > 256) capacity = 256;
  int n = epoll_wait(epfd, ready, capacity, timeout_ms);
  for (int i = 0; i < n; i++) {
    uint32_t bits = 0;
    if (ready[i].events & EPOLLIN) bits |= KEYHOLD_POLL_READABLE;
    if (ready[i].events & EPOLLOUT) bits |= KEYHOLD_POLL_WRITABLE;
    if (ready[i].events & (EPOLLHUP | EPOLLERR)) bits |= KEYHOLD_POLL_HANGUP;
    tokens[i] = ready[i].data.u64;
    events[i] = bits;
  }
  return n;
}

int keyhold_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int keyhold_set_blocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -1;
  return (flags & O_NONBLOCK) ? fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) : 0;
}

int keyhold_set_receive_timeout(int fd, int milliseconds) {
  struct timeval tv = {.tv_sec = milliseconds / 1000, .tv_usec = (milliseconds % 1000) * 1000};
  return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

int keyhold_linger(int fd, int listener, int timeout_ms) {
  struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = listener, .events = POLLIN}};
  int n = poll(p, listener >= 0 ? 2 : 1, timeout_ms);
  if (n <= 0) return n;
  if (p[0].revents) return 1;
  return 2;
}

void keyhold_set_thread_name(const char *name) {
  char short_name[16];
  strncpy(short_name, name, sizeof(short_name) - 1);
  short_name[sizeof(short_name) - 1] = 0;
  pthread_setname_np(pthread_self(), short_name);
}
