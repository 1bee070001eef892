// What the chat page holds (static/chat/chat.js): messages by id, sends not yet acked, read pointers,
// and the seq tracker. Resuming asks for everything after the highest seq held WITHOUT a gap, never
// the highest seen: holding 5 and 7 resumes from 5, so 6 comes too (static/js/socket.js, sequence).
import { sequence } from "../js/socket.js";

export function createState({ onGap }) {
  let sendCounter = 0;
  const ids = sequence({ onGap });
  return {
    ids,
    byId: {}, // message id -> element
    pending: {}, // client_id -> {frame, element}
    oldestSeq: null,
    otherRead: 0,
    readSent: 0,
    status: null,
    unseen: 0, // messages from the other side that arrived while the page was hidden
    get maxSeq() {
      return ids.highest;
    },
    held(seq) {
      ids.hold(seq);
      this.oldestSeq = this.oldestSeq === null ? seq : Math.min(this.oldestSeq, seq);
    },
    // The id a send is retried under until the server acks it: the server stores it once.
    newClientId() {
      sendCounter += 1;
      return "c" + Date.now().toString(36) + "-" + sendCounter + "-" + Math.random().toString(36).slice(2, 8);
    },
  };
}
