package main

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func testPod(annotations map[string]string, started time.Time, finished *time.Time) *pod {
	p := &pod{}
	p.Metadata.Name = "p"
	p.Metadata.Annotations = annotations
	cs := containerStatus{Name: "main"}
	if finished == nil {
		cs.State.Running = &struct {
			StartedAt *time.Time `json:"startedAt"`
		}{StartedAt: &started}
	} else {
		cs.State.Terminated = &struct {
			StartedAt  *time.Time `json:"startedAt"`
			FinishedAt *time.Time `json:"finishedAt"`
		}{StartedAt: &started, FinishedAt: finished}
	}
	p.Status.ContainerStatuses = []containerStatus{cs}
	return p
}

func TestTimelineRunning(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	p := testPod(map[string]string{
		annotationLog:         "a\nb\nc\n",
		annotationLogInterval: "1s",
	}, start, nil)
	tl, err := containerTimeline(p, "main")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tl.lines, ","); got != "a,b,c" {
		t.Fatalf("lines = %q", got)
	}
	for now, want := range map[time.Duration]int{0: 1, 999 * time.Millisecond: 1, time.Second: 2, time.Hour: 3} {
		if got := tl.due(start.Add(now)); got != want {
			t.Errorf("due(start+%v) = %d, want %d", now, got, want)
		}
	}
}

func TestTimelineTerminatedClampsAndPerContainer(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	finish := start.Add(1500 * time.Millisecond)
	p := testPod(map[string]string{
		annotationLog:            "ignored",
		annotationLog + ".main":  "x\ny\nz",
		annotationLogInterval:    "1s",
		"unrelated/annotation":   "",
		annotationLog + ".other": "nope",
	}, start, &finish)
	tl, err := containerTimeline(p, "main")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tl.lines, ","); got != "x,y,z" {
		t.Fatalf("lines = %q", got)
	}
	if !tl.terminated || tl.due(start) != 3 {
		t.Fatalf("terminated container must have every line due")
	}
	if !tl.times[2].Equal(finish) {
		t.Errorf("last line at %v, want clamped to %v", tl.times[2], finish)
	}
}

func TestTimelineWaiting(t *testing.T) {
	p := &pod{}
	p.Metadata.Name = "p"
	_, err := containerTimeline(p, "main")
	if err == nil || !strings.Contains(err.Error(), "is waiting to start") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseOptions(t *testing.T) {
	q, _ := url.ParseQuery("follow=true&timestamps=1&tailLines=2&limitBytes=10&sinceTime=2030-01-01T00:00:00Z")
	o, err := parseOptions(q)
	if err != nil {
		t.Fatal(err)
	}
	if !o.follow || !o.timestamps || *o.tailLines != 2 || *o.limitBytes != 10 || o.since.Year() != 2030 {
		t.Fatalf("options = %+v", o)
	}
	if _, err := parseOptions(url.Values{"tailLines": {"x"}}); err == nil {
		t.Fatal("bad tailLines accepted")
	}
	o, _ = parseOptions(url.Values{"stream": {"Stderr"}})
	if o.stdout {
		t.Fatal("stream=Stderr must give no stdout lines")
	}
}
