// Command kq-logsim stands in for the kubelet's container-log endpoint on the
// simulated node of the kq test cluster (see tests/cluster/README.md).
//
// KWOK simulates pod lifecycles but runs no containers, so there is nothing to
// read logs from. kube-apiserver serves `pods/log` by calling
// GET https://<node InternalIP>:<kubelet port>/containerLogs/<ns>/<pod>/<container>
// on the node. This program answers that call, making the log up from the
// pod's annotations:
//
//	kq.test/log               log lines of every container, one per line
//	kq.test/log.<container>   log lines of that container (wins over kq.test/log)
//	kq.test/log-interval      Go duration between two lines (default 0: all at start)
//
// Line i is "written" at containerStart + i*interval, but never after the
// container terminated. With follow=true the stream delivers lines as they
// fall due and ends once the container has terminated and every line was
// sent, as a real kubelet does. timestamps, tailLines, sinceSeconds,
// sinceTime, limitBytes and stream behave like the kubelet's.
//
// It only uses the standard library: it reads pods from the API server with
// plain HTTPS + JSON.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	annotationLog         = "kq.test/log"
	annotationLogInterval = "kq.test/log-interval"
	// The kubelet prints timestamps with a fixed number of fractional digits.
	timestampFormat = "2006-01-02T15:04:05.000000000Z07:00"
)

type config struct {
	listen     string
	tlsCert    string
	tlsKey     string
	clientCA   string
	apiserver  string
	apiCA      string
	apiCert    string
	apiKey     string
	pollPeriod time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.listen, "listen", "127.0.0.1:10250", "address to serve the kubelet log API on")
	flag.StringVar(&c.tlsCert, "tls-cert-file", "", "serving certificate (PEM)")
	flag.StringVar(&c.tlsKey, "tls-private-key-file", "", "serving key (PEM)")
	flag.StringVar(&c.clientCA, "client-ca-file", "", "CA that signs the API server's kubelet client certificate")
	flag.StringVar(&c.apiserver, "apiserver", "", "API server URL, e.g. https://127.0.0.1:6443")
	flag.StringVar(&c.apiCA, "apiserver-ca-file", "", "CA of the API server's serving certificate")
	flag.StringVar(&c.apiCert, "apiserver-cert-file", "", "client certificate for the API server")
	flag.StringVar(&c.apiKey, "apiserver-key-file", "", "client key for the API server")
	flag.DurationVar(&c.pollPeriod, "poll-period", 250*time.Millisecond, "how often a following stream re-reads the pod")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if err := run(c); err != nil {
		log.Fatal(err)
	}
}

func run(c config) error {
	for name, v := range map[string]string{
		"tls-cert-file": c.tlsCert, "tls-private-key-file": c.tlsKey, "client-ca-file": c.clientCA,
		"apiserver": c.apiserver, "apiserver-ca-file": c.apiCA,
		"apiserver-cert-file": c.apiCert, "apiserver-key-file": c.apiKey,
	} {
		if v == "" {
			return fmt.Errorf("--%s is required", name)
		}
	}
	clientCAs, err := loadPool(c.clientCA)
	if err != nil {
		return err
	}
	apiCAs, err := loadPool(c.apiCA)
	if err != nil {
		return err
	}
	apiCert, err := tls.LoadX509KeyPair(c.apiCert, c.apiKey)
	if err != nil {
		return fmt.Errorf("load API server client certificate: %w", err)
	}
	s := &server{
		api: strings.TrimRight(c.apiserver, "/"),
		client: &http.Client{
			Timeout: 10 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{
				RootCAs:      apiCAs,
				Certificates: []tls.Certificate{apiCert},
				MinVersion:   tls.VersionTLS12,
			}},
		},
		poll: c.pollPeriod,
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", s.containerLogs)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{
		Addr:              c.listen,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		TLSConfig: &tls.Config{
			ClientCAs: clientCAs,
			// /healthz is open; the log endpoint checks for a verified chain.
			ClientAuth: tls.VerifyClientCertIfGiven,
			MinVersion: tls.VersionTLS12,
		},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServeTLS(c.tlsCert, c.tlsKey) }()
	log.Printf("serving the kubelet log API on https://%s (API server %s)", c.listen, s.api)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		return nil
	}
}

func loadPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", path)
	}
	return pool, nil
}

type server struct {
	api    string
	client *http.Client
	poll   time.Duration
}

// pod holds the few fields of a v1.Pod that the log simulation needs.
type pod struct {
	Metadata struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Status struct {
		StartTime             *time.Time        `json:"startTime"`
		ContainerStatuses     []containerStatus `json:"containerStatuses"`
		InitContainerStatuses []containerStatus `json:"initContainerStatuses"`
	} `json:"status"`
}

type containerStatus struct {
	Name  string `json:"name"`
	State struct {
		Waiting *struct {
			Reason string `json:"reason"`
		} `json:"waiting"`
		Running *struct {
			StartedAt *time.Time `json:"startedAt"`
		} `json:"running"`
		Terminated *struct {
			StartedAt  *time.Time `json:"startedAt"`
			FinishedAt *time.Time `json:"finishedAt"`
		} `json:"terminated"`
	} `json:"state"`
}

var errPodGone = errors.New("pod not found")

func (s *server) getPod(ctx context.Context, namespace, name string) (*pod, error) {
	u := fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s", s.api, url.PathEscape(namespace), url.PathEscape(name))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, errPodGone
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("get pod %s/%s: %s: %s", namespace, name, resp.Status, body)
	}
	var p pod
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return nil, fmt.Errorf("decode pod %s/%s: %w", namespace, name, err)
	}
	return &p, nil
}

// timeline is the simulated content of one container's log at one moment.
type timeline struct {
	lines      []string
	times      []time.Time
	terminated bool
}

// due reports how many lines have been written by now.
func (t *timeline) due(now time.Time) int {
	if t.terminated {
		return len(t.lines)
	}
	n := 0
	for n < len(t.times) && !t.times[n].After(now) {
		n++
	}
	return n
}

// containerTimeline works out the log of container in p, or returns the
// error message a kubelet gives for a container that has not started.
func containerTimeline(p *pod, container string) (*timeline, error) {
	var status *containerStatus
	for _, list := range [][]containerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses} {
		for i := range list {
			if list[i].Name == container {
				status = &list[i]
			}
		}
	}
	if status == nil {
		return nil, fmt.Errorf("container %q in pod %q is waiting to start: ContainerCreating", container, p.Metadata.Name)
	}
	var start, finish *time.Time
	switch st := status.State; {
	case st.Running != nil:
		start = st.Running.StartedAt
	case st.Terminated != nil:
		start, finish = st.Terminated.StartedAt, st.Terminated.FinishedAt
		if finish == nil {
			finish = st.Terminated.StartedAt
		}
		if finish == nil {
			now := time.Now()
			finish = &now
		}
	default:
		reason := "ContainerCreating"
		if st.Waiting != nil && st.Waiting.Reason != "" {
			reason = st.Waiting.Reason
		}
		return nil, fmt.Errorf("container %q in pod %q is waiting to start: %s", container, p.Metadata.Name, reason)
	}
	if start == nil {
		start = p.Status.StartTime
	}
	if start == nil {
		now := time.Now()
		start = &now
	}

	text, ok := p.Metadata.Annotations[annotationLog+"."+container]
	if !ok {
		text = p.Metadata.Annotations[annotationLog]
	}
	var interval time.Duration
	if v := p.Metadata.Annotations[annotationLogInterval]; v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			interval = d
		}
	}

	t := &timeline{terminated: finish != nil}
	if text == "" {
		return t, nil
	}
	t.lines = strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	t.times = make([]time.Time, len(t.lines))
	for i := range t.lines {
		// Without an interval the lines still get distinct, ordered times.
		step := time.Duration(i) * time.Microsecond
		if interval > 0 {
			step = time.Duration(i) * interval
		}
		ts := start.Add(step)
		if finish != nil && ts.After(*finish) && !finish.Before(*start) {
			ts = *finish
		}
		t.times[i] = ts.UTC()
	}
	return t, nil
}

// logOptions mirrors the query parameters of the kubelet's containerLogs call.
type logOptions struct {
	follow, timestamps, previous bool
	tailLines, limitBytes        *int64
	since                        time.Time
	stdout                       bool
}

func parseOptions(q url.Values) (*logOptions, error) {
	o := &logOptions{stdout: true}
	var err error
	boolParam := func(name string) bool {
		v := q.Get(name)
		if v == "" || err != nil {
			return false
		}
		b, e := strconv.ParseBool(v)
		if e != nil {
			err = fmt.Errorf("invalid %s=%q", name, v)
		}
		return b
	}
	intParam := func(name string) *int64 {
		v := q.Get(name)
		if v == "" || err != nil {
			return nil
		}
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil {
			err = fmt.Errorf("invalid %s=%q", name, v)
			return nil
		}
		return &n
	}
	o.follow = boolParam("follow")
	o.timestamps = boolParam("timestamps")
	o.previous = boolParam("previous")
	if tail := q.Get("tail"); tail != "" && tail != "all" && q.Get("tailLines") == "" {
		q.Set("tailLines", tail)
	}
	o.tailLines = intParam("tailLines")
	o.limitBytes = intParam("limitBytes")
	if secs := intParam("sinceSeconds"); secs != nil {
		o.since = time.Now().Add(-time.Duration(*secs) * time.Second)
	}
	if v := q.Get("sinceTime"); v != "" && err == nil {
		t, e := time.Parse(time.RFC3339, v)
		if e != nil {
			return nil, fmt.Errorf("invalid sinceTime=%q", v)
		}
		if t.After(o.since) {
			o.since = t
		}
	}
	if s := q.Get("stream"); s != "" && !strings.EqualFold(s, "All") && !strings.EqualFold(s, "Stdout") {
		// Every simulated line goes to stdout.
		o.stdout = false
	}
	return o, err
}

// limitWriter stops the stream after limitBytes, like the kubelet.
type limitWriter struct {
	w       io.Writer
	flusher http.Flusher
	left    int64 // < 0: no limit
}

var errLimit = errors.New("limitBytes reached")

func (l *limitWriter) writeLine(s string) error {
	b := []byte(s)
	if l.left >= 0 && int64(len(b)) > l.left {
		b = b[:l.left]
	}
	if _, err := l.w.Write(b); err != nil {
		return err
	}
	if l.left >= 0 {
		l.left -= int64(len(b))
		if l.left == 0 {
			return errLimit
		}
	}
	return nil
}

func (s *server) containerLogs(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	opts, err := parseOptions(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	p, err := s.getPod(ctx, ns, name)
	if errors.Is(err, errPodGone) {
		http.Error(w, fmt.Sprintf("pod %s/%s not found", ns, name), http.StatusNotFound)
		return
	} else if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if opts.previous {
		http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", container, name), http.StatusBadRequest)
		return
	}
	tl, err := containerTimeline(p, container)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	log.Printf("logs %s/%s/%s follow=%v timestamps=%v lines=%d", ns, name, container, opts.follow, opts.timestamps, len(tl.lines))

	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	out := &limitWriter{w: w, flusher: flusher, left: -1}
	if opts.limitBytes != nil {
		out.left = *opts.limitBytes
	}
	emit := func(tl *timeline, from, to int) error {
		if !opts.stdout {
			return nil
		}
		for i := from; i < to; i++ {
			if tl.times[i].Before(opts.since) {
				continue
			}
			line := tl.lines[i] + "\n"
			if opts.timestamps {
				line = tl.times[i].Format(timestampFormat) + " " + line
			}
			if err := out.writeLine(line); err != nil {
				return err
			}
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	}

	// What is already written, cut to tailLines.
	next := tl.due(time.Now())
	first := 0
	if opts.tailLines != nil && *opts.tailLines >= 0 {
		kept := 0
		for first = next; first > 0 && int64(kept) < *opts.tailLines; first-- {
			if !tl.times[first-1].Before(opts.since) {
				kept++
			}
		}
	}
	if emit(tl, first, next) != nil || !opts.follow {
		return
	}

	// Follow: send lines as they fall due until the container has terminated.
	for !(tl.terminated && next >= len(tl.lines)) {
		wait := s.poll
		if next < len(tl.times) {
			if d := time.Until(tl.times[next]); d < wait {
				wait = max(d, time.Millisecond)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		p, err := s.getPod(ctx, ns, name)
		if errors.Is(err, errPodGone) {
			return
		} else if err != nil {
			log.Printf("logs %s/%s/%s: %v (retrying)", ns, name, container, err)
			continue
		}
		if fresh, err := containerTimeline(p, container); err == nil {
			tl = fresh
		}
		due := tl.due(time.Now())
		if due > next {
			if emit(tl, next, due) != nil {
				return
			}
			next = due
		}
	}
}
