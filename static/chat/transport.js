// The chat's socket (/ws/chat/<id>/, protocol: chat/PROTOCOL.md) on the shared reconnecting module:
// a reconnect resumes after the last seq held without a gap, and every send never acked goes again
// with the same client_id.
import { connect } from "../js/socket.js";

export function openChatSocket(path, { state, onFrame, onState }) {
  const socket = connect(path, {
    onMessage: onFrame,
    onState,
    lastId: () => (state.maxSeq > 0 ? state.ids.contiguous : null),
    resume: (lastSeq) => ({ type: "resume", last_seq: lastSeq }),
    onOpen: () => {
      Object.keys(state.pending).forEach((clientId) => socket.send(state.pending[clientId].frame));
    },
  });
  return socket;
}
