/*
 * paths.h - where tunerd keeps its state and socket by default, shared by
 * the daemon and the client so both agree without configuration.
 *
 * State dir: $TUNERD_STATE_DIR, else $XDG_STATE_HOME/tunerd, else
 * ~/.local/state/tunerd. Socket: $TUNERD_SOCKET, else
 * $XDG_RUNTIME_DIR/tunerd/tunerd.sock, else <state dir>/tunerd.sock.
 * Both return strings the caller frees, or NULL when HOME is unknown.
 */
#ifndef TD_PATHS_H
#define TD_PATHS_H

char *td_default_state_dir(void);
char *td_default_socket(const char *state_dir);

#endif
