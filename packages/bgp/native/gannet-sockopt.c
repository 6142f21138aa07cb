// gannet-sockopt: the socket options Node.js cannot set (TCP_MD5SIG, IP_TTL/IPV6_UNICAST_HOPS, IP_MINTTL/
// IPV6_MINHOPCOUNT), and an unconnected TCP socket to set them on before connect. A Node-API addon in C: the ABI is
// stable across Node.js versions, and the kernel's own header lays out struct tcp_md5sig. Built by
// scripts/build-native.mjs; used only through packages/bgp/src/session/socket-options.ts.
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_MINTTL
#define IP_MINTTL 21
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif

// Throws an Error whose code is the errno's name (EPERM, EINVAL...) and whose message names the call.
static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  const char *code = "EIO";
  switch (err) {
    case EPERM: code = "EPERM"; break;
    case EINVAL: code = "EINVAL"; break;
    case ENOENT: code = "ENOENT"; break;
    case EBADF: code = "EBADF"; break;
    case ENOTSOCK: code = "ENOTSOCK"; break;
    case ENOPROTOOPT: code = "ENOPROTOOPT"; break;
    case EAFNOSUPPORT: code = "EAFNOSUPPORT"; break;
    case ENOMEM: code = "ENOMEM"; break;
    case EMFILE: code = "EMFILE"; break;
    case EOPNOTSUPP: code = "EOPNOTSUPP"; break;
  }
  napi_throw_error(env, code, msg);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, "EINVAL", "missing arguments");
    return 0;
  }
  return 1;
}

static int get_int(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "expected an integer");
    return 0;
  }
  return 1;
}

static int socket_domain(int fd) {
  int domain = 0;
  socklen_t len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return -1;
  return domain;
}

// socket(family): a non-blocking, close-on-exec TCP socket of AF_INET (4) or AF_INET6 (6), not yet connected.
static napi_value js_socket(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t family;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], &family)) return NULL;
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

// close(fd): for a socket never handed to Node.js.
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], &fd)) return NULL;
  if (close(fd) != 0) return throw_errno(env, "close", errno);
  return NULL;
}

// md5(fd, address, prefixLength, key): sets the TCP-MD5 key (RFC 2385) for a peer address (prefixLength -1) or a
// prefix (TCP_MD5SIG_EXT) on a TCP socket; an empty key removes it. On an AF_INET6 socket an IPv4 peer is written as
// its IPv4-mapped address, which the kernel files as an IPv4 key (dual-stack listeners).
static napi_value js_md5(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, prefixlen;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], &fd) || !get_int(env, argv[2], &prefixlen)) return NULL;
  char addr[64];
  size_t addrlen;
  if (napi_get_value_string_utf8(env, argv[1], addr, sizeof addr, &addrlen) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "address must be a string");
    return NULL;
  }
  void *key;
  size_t keylen;
  if (napi_get_buffer_info(env, argv[3], &key, &keylen) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "key must be a Buffer");
    return NULL;
  }
  if (keylen > TCP_MD5SIG_MAXKEYLEN) {
    napi_throw_range_error(env, "EINVAL", "key longer than 80 bytes");
    return NULL;
  }
  int domain = socket_domain(fd);
  if (domain < 0) return throw_errno(env, "getsockopt(SO_DOMAIN)", errno);
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  struct in_addr a4;
  struct in6_addr a6;
  int v4 = inet_pton(AF_INET, addr, &a4) == 1;
  if (!v4 && inet_pton(AF_INET6, addr, &a6) != 1) {
    napi_throw_type_error(env, "EINVAL", "address is not an IP address");
    return NULL;
  }
  if (domain == AF_INET6) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&sig.tcpm_addr;
    sin6->sin6_family = AF_INET6;
    if (v4) {
      sin6->sin6_addr.s6_addr[10] = 0xff;
      sin6->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&sin6->sin6_addr.s6_addr[12], &a4, 4);
    } else {
      sin6->sin6_addr = a6;
    }
  } else {
    if (!v4) return throw_errno(env, "TCP_MD5SIG: an IPv6 peer on an IPv4 socket", EAFNOSUPPORT);
    struct sockaddr_in *sin = (struct sockaddr_in *)&sig.tcpm_addr;
    sin->sin_family = AF_INET;
    sin->sin_addr = a4;
  }
  sig.tcpm_keylen = (uint16_t)keylen;
  memcpy(sig.tcpm_key, key, keylen);
  int opt = TCP_MD5SIG;
  if (prefixlen >= 0) {
    opt = TCP_MD5SIG_EXT;
    sig.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
    // an IPv4-mapped address takes the IPv4 prefix length (≤ 32)
    sig.tcpm_prefixlen = (uint8_t)prefixlen;
  }
  int rc = setsockopt(fd, IPPROTO_TCP, opt, &sig, sizeof sig);
  int err = errno;
  memset(&sig, 0, sizeof sig);  // the key does not linger on the stack
  if (rc != 0) {
    // removing a key that is not there is not an error
    if (keylen == 0 && err == ENOENT) return NULL;
    return throw_errno(env, prefixlen >= 0 ? "setsockopt(TCP_MD5SIG_EXT)" : "setsockopt(TCP_MD5SIG)", err);
  }
  return NULL;
}

// An int socket option by the peer's family: 4 → level IPPROTO_IP, 6 → IPPROTO_IPV6.
static napi_value int_option(napi_env env, napi_callback_info info, int opt4, int opt6, const char *name4,
                             const char *name6, int get) {
  napi_value argv[3];
  int32_t fd, family, value = 0;
  if (!get_args(env, info, get ? 2 : 3, argv) || !get_int(env, argv[0], &fd) || !get_int(env, argv[1], &family))
    return NULL;
  if (!get && !get_int(env, argv[2], &value)) return NULL;
  int level = family == 6 ? IPPROTO_IPV6 : IPPROTO_IP;
  int opt = family == 6 ? opt6 : opt4;
  const char *name = family == 6 ? name6 : name4;
  if (get) {
    socklen_t len = sizeof value;
    if (getsockopt(fd, level, opt, &value, &len) != 0) return throw_errno(env, name, errno);
    napi_value out;
    napi_create_int32(env, value, &out);
    return out;
  }
  if (setsockopt(fd, level, opt, &value, sizeof value) != 0) return throw_errno(env, name, errno);
  return NULL;
}

static napi_value js_set_ttl(napi_env env, napi_callback_info info) {
  return int_option(env, info, IP_TTL, IPV6_UNICAST_HOPS, "setsockopt(IP_TTL)", "setsockopt(IPV6_UNICAST_HOPS)", 0);
}
static napi_value js_get_ttl(napi_env env, napi_callback_info info) {
  return int_option(env, info, IP_TTL, IPV6_UNICAST_HOPS, "getsockopt(IP_TTL)", "getsockopt(IPV6_UNICAST_HOPS)", 1);
}
static napi_value js_set_min_ttl(napi_env env, napi_callback_info info) {
  return int_option(env, info, IP_MINTTL, IPV6_MINHOPCOUNT, "setsockopt(IP_MINTTL)", "setsockopt(IPV6_MINHOPCOUNT)",
                    0);
}
static napi_value js_get_min_ttl(napi_env env, napi_callback_info info) {
  return int_option(env, info, IP_MINTTL, IPV6_MINHOPCOUNT, "getsockopt(IP_MINTTL)", "getsockopt(IPV6_MINHOPCOUNT)",
                    1);
}

// ttlFilter(fd, minTtl): a classic BPF socket filter that drops every datagram whose IPv4 TTL or IPv6 hop limit is
// below minTtl (RFC 5881 §5, BFD: only 255). IP_MINTTL would do it for TCP only; Linux ignores it on UDP sockets. The
// filter reads the network header (SKF_NET_OFF), so a dual-stack socket's IPv4 datagrams are checked as IPv4.
static napi_value js_ttl_filter(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd, min;
  if (!get_args(env, info, 2, argv) || !get_int(env, argv[0], &fd) || !get_int(env, argv[1], &min)) return NULL;
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF),      // 0: first byte of the IP header
      BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),                         // 1: its version
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 2),                   // 2: IPv4 → 3, else → 5
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF + 8),  // 3: IPv4 TTL
      BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),                            // 4: → 6
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF + 7),  // 5: IPv6 hop limit
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)min, 0, 1),       // 6: ≥ min → 7, else → 8
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),                          // 7: accept
      BPF_STMT(BPF_RET | BPF_K, 0),                                   // 8: drop
  };
  struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
    return throw_errno(env, "setsockopt(SO_ATTACH_FILTER)", errno);
  return NULL;
}

NAPI_MODULE_INIT() {
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"socket", js_socket},     {"close", js_close},           {"md5", js_md5},
      {"setTtl", js_set_ttl},    {"getTtl", js_get_ttl},        {"setMinTtl", js_set_min_ttl},
      {"getMinTtl", js_get_min_ttl}, {"ttlFilter", js_ttl_filter},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, fns[i].name, f) != napi_ok) return NULL;
  }
  return exports;
}
