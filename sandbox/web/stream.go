package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Stream settings: events written per batch, how long a page may take to
// take a batch before it is dropped (it reconnects and catches up), and
// how often an idle stream says it is alive.
const (
	batch       = 256
	writeWait   = 10 * time.Second
	heartbeat   = 15 * time.Second
	droppedJSON = `{"kind":"internal","action":"dropped","from":"maillab","to":"","step":0,"proto":"","line":"this page missed %d events: it fell behind, and the servers never wait for it","note":"","facts":{"count":%d,"viewer":"this page"}}`
)

// stream sends events as Server-Sent Events: all of them after the page's
// Last-Event-ID (or ?since=), then each as it comes. private: as they
// were (the teacher's view), else masked (the shared page).
func (s *Server) stream(w http.ResponseWriter, r *http.Request, private bool) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	cursor := s.lastEventID(r)
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		items, missed, more := s.ring.since(cursor, batch)
		rc.SetWriteDeadline(time.Now().Add(writeWait))
		if missed > 0 {
			fmt.Fprintf(w, "data: "+droppedJSON+"\n\n", missed, missed)
		}
		for _, it := range items {
			data := it.encoded(private, s.encode)
			if it.event != "" {
				fmt.Fprintf(w, "event: %s\n", it.event)
			}
			fmt.Fprintf(w, "id: %d\ndata: %s\n\n", it.id, data)
			cursor = it.id
		}
		if err := rc.Flush(); err != nil {
			return // the page went away or could not keep up: it reconnects
		}
		if len(items) == batch {
			continue
		}
		select {
		case <-more:
		case <-tick.C:
			rc.SetWriteDeadline(time.Now().Add(writeWait))
			fmt.Fprint(w, ": still here\n\n")
			if rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.ctx.Done():
			return
		}
	}
}

// lastEventID is where a page resumes: EventSource's Last-Event-ID
// header, or ?since=N (0: from the oldest event kept; end: from now on,
// for a program that waits for something to happen).
func (s *Server) lastEventID(r *http.Request) uint64 {
	id := r.Header.Get("Last-Event-ID")
	if id == "" {
		id = r.URL.Query().Get("since")
	}
	if id == "end" {
		return s.ring.last()
	}
	n, _ := strconv.ParseUint(id, 10, 64)
	return n
}
