/*
 * Swift cannot call C variadic functions, and a few libmicrohttpd constants are
 * macros the importer drops.  These wrappers are the whole of the C surface that
 * SwitchboardServer uses beyond the plain functions of <microhttpd.h>.
 */
#ifndef SWITCHBOARD_CMICROHTTPD_SHIM_H
#define SWITCHBOARD_CMICROHTTPD_SHIM_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <microhttpd.h>

/* MHD_SIZE_UNKNOWN expands to UINT64_MAX through a cast, which Swift does not import. */
static const uint64_t sb_mhd_size_unknown = MHD_SIZE_UNKNOWN;

/* Starts a daemon whose options all come from a MHD_OPTION_END-terminated array. */
static inline struct MHD_Daemon *sb_start_daemon(unsigned int flags, uint16_t port,
                                                 MHD_AcceptPolicyCallback accept_policy,
                                                 void *accept_policy_cls,
                                                 MHD_AccessHandlerCallback handler,
                                                 void *handler_cls,
                                                 const struct MHD_OptionItem *options) {
    return MHD_start_daemon(flags, port, accept_policy, accept_policy_cls, handler, handler_cls,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

/* The socket of a connection, or -1. libmicrohttpd owns it: never close it. */
static inline int sb_connection_socket(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}

/* Closes an upgraded socket.  Must be called exactly once per handle, before MHD_stop_daemon. */
static inline enum MHD_Result sb_upgrade_close(struct MHD_UpgradeResponseHandle *urh) {
    return MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

/* Sets a per-connection idle timeout in seconds (0 disables it). */
static inline enum MHD_Result sb_set_connection_timeout(struct MHD_Connection *connection,
                                                        unsigned int seconds) {
    return MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT, seconds);
}

/* The peer address of a connection, or NULL. Valid while the connection lives. */
static inline const struct sockaddr *sb_connection_client_address(
    struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

/* Whether the connection runs over TLS (a GnuTLS session exists). */
static inline int sb_connection_is_tls(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_PROTOCOL);
    return info != NULL;
}

/* The TCP port the daemon is bound to (useful after asking for port 0), or 0. */
static inline uint16_t sb_daemon_bind_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/* How many connections the daemon holds right now, upgraded ones included. */
static inline unsigned int sb_daemon_current_connections(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info == NULL ? 0 : info->num_connections;
}

/*
 * libmicrohttpd reports its own errors through a printf-style callback.  This
 * trampoline formats the line and hands it to a plain function, which Swift can
 * provide.  `cls` must point to an sb_log_target that outlives the daemon.
 */
struct sb_log_target {
    void (*emit)(void *context, const char *line);
    void *context;
};

static inline void sb_log_trampoline(void *cls, const char *format, va_list arguments) {
    struct sb_log_target *target = (struct sb_log_target *)cls;
    char line[512];
    vsnprintf(line, sizeof line, format, arguments);
    target->emit(target->context, line);
}

/* The trampoline as the integer that MHD_OPTION_ARRAY expects for a function pointer. */
static inline intptr_t sb_log_trampoline_address(void) {
    return (intptr_t)&sb_log_trampoline;
}

/* MHD_OPTION_ARRAY takes two-pointer options with the function in `value`. */
static inline intptr_t sb_completed_callback_address(MHD_RequestCompletedCallback callback) {
    return (intptr_t)callback;
}

#endif
