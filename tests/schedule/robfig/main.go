// Reads lines "SCHEDULE<TAB>ZONE<TAB>UNIX-SECONDS" and prints, for each, the next run after that
// instant as the CronJob controller computes it (robfig/cron/v3's standard parser and Next in the
// zone), in unix seconds; "none" for no run within five years; "error" for a schedule or zone it refuses.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		parts := strings.Split(in.Text(), "\t")
		if len(parts) != 3 {
			fmt.Fprintln(out, "bad-input")
			continue
		}
		schedule, err := cron.ParseStandard(parts[0])
		if err != nil || strings.Contains(parts[0], "TZ") || strings.HasPrefix(strings.TrimSpace(parts[0]), "@every") {
			fmt.Fprintln(out, "error")
			continue
		}
		zone := time.UTC
		if parts[1] != "" {
			zone, err = time.LoadLocation(parts[1])
			if err != nil || strings.EqualFold(parts[1], "Local") {
				fmt.Fprintln(out, "error")
				continue
			}
		}
		seconds, _ := strconv.ParseInt(parts[2], 10, 64)
		next := schedule.Next(time.Unix(seconds, 0).In(zone))
		if next.IsZero() {
			fmt.Fprintln(out, "none")
		} else {
			fmt.Fprintln(out, next.Unix())
		}
	}
}
