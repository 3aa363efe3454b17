// Command kq-loadgen measures how fast the test cluster's API server creates
// Jobs, for kq's benchmarks (bench/run): it sends create requests with
// client-go as fast as the server answers them, with no client-side rate
// limit and a fixed number of requests in flight over one HTTP/2 connection.
//
//	kq-loadgen create -namespace NS -count N [-concurrency C] [-manifest FILE] [-prefix P]
//	kq-loadgen delete -namespace NS
//
// create makes the namespace if it is missing, then creates N Jobs named
// P-0 ... P-(N-1) (with -generate-name: P-xxxxx, named by the server) from FILE (a batch/v1 Job as JSON, e.g. `kq render JOB -o
// json`; a minimal Job without it) and prints one JSON line:
// {"created":N,"errors":E,"seconds":S,"per_second":R,"first_error":"..."},
// where S is the time from the first request to the last answer (process
// start-up and the namespace excluded). delete removes every Job of the
// namespace with one delete-collection request, then the namespace itself
// without waiting for it to go.
//
// The kubeconfig is $KUBECONFIG (or -kubeconfig). Exit status: 0 when every
// request succeeded, 1 otherwise.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

type result struct {
	Created    int64   `json:"created"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"per_second"`
	FirstError string  `json:"first_error,omitempty"`
}

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "create" && os.Args[1] != "delete") {
		fmt.Fprintln(os.Stderr, "usage: kq-loadgen create|delete -namespace NS [flags] (-h for the flags)")
		os.Exit(2)
	}
	verb := os.Args[1]
	flags := flag.NewFlagSet("kq-loadgen "+verb, flag.ExitOnError)
	kubeconfig := flags.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file")
	namespace := flags.String("namespace", "", "namespace (required)")
	count := flags.Int("count", 100, "create: how many Jobs")
	concurrency := flags.Int("concurrency", 64, "create: requests in flight")
	manifest := flags.String("manifest", "", "create: a batch/v1 Job as JSON to copy (default: a minimal Job)")
	prefix := flags.String("prefix", "load", "create: Job names are PREFIX-INDEX")
	generate := flags.Bool("generate-name", false, "create: let the server name the Jobs PREFIX-xxxxx (generateName)")
	protobuf := flags.Bool("protobuf", false, "send protobuf instead of JSON")
	_ = flags.Parse(os.Args[2:])
	if *namespace == "" || *count < 0 || *concurrency < 1 {
		fmt.Fprintln(os.Stderr, "kq-loadgen: -namespace is required; -count >= 0 and -concurrency >= 1")
		os.Exit(2)
	}

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	check(err, "kubeconfig")
	config.QPS = -1 // no client-side rate limit: the server is what is measured
	config.Burst = 0
	if *protobuf {
		config.ContentType = "application/vnd.kubernetes.protobuf"
	}
	client, err := kubernetes.NewForConfig(config)
	check(err, "client")
	ctx := context.Background()

	if verb == "delete" {
		background := metav1.DeletePropagationBackground
		err = client.BatchV1().Jobs(*namespace).DeleteCollection(ctx,
			metav1.DeleteOptions{PropagationPolicy: &background}, metav1.ListOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			check(err, "delete jobs")
		}
		err = client.CoreV1().Namespaces().Delete(ctx, *namespace, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			check(err, "delete namespace")
		}
		return
	}

	template := minimalJob()
	if *manifest != "" {
		data, err := os.ReadFile(*manifest)
		check(err, "manifest")
		template = &batchv1.Job{}
		check(json.Unmarshal(data, template), *manifest)
	}
	template.GenerateName = ""
	template.Namespace = *namespace

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: *namespace}}
	if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil &&
		!apierrors.IsAlreadyExists(err) {
		check(err, "create namespace")
	}

	var created, failed atomic.Int64
	var firstError sync.Once
	var res result
	indices := make(chan int)
	var workers sync.WaitGroup
	jobs := client.BatchV1().Jobs(*namespace)
	start := time.Now()
	for w := 0; w < *concurrency; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := range indices {
				job := template.DeepCopy()
				if *generate {
					job.GenerateName = *prefix + "-"
				} else {
					job.Name = fmt.Sprintf("%s-%d", *prefix, i)
				}
				if _, err := jobs.Create(ctx, job, metav1.CreateOptions{}); err != nil {
					failed.Add(1)
					firstError.Do(func() { res.FirstError = err.Error() })
				} else {
					created.Add(1)
				}
			}
		}()
	}
	for i := 0; i < *count; i++ {
		indices <- i
	}
	close(indices)
	workers.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.Created = created.Load()
	res.Errors = failed.Load()
	if res.Seconds > 0 {
		res.PerSecond = float64(res.Created) / res.Seconds
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if res.Errors > 0 {
		os.Exit(1)
	}
}

// minimalJob is a Job whose one pod runs for a second on the simulated node.
func minimalJob() *batchv1.Job {
	backoff := int32(0)
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app.kubernetes.io/name": "kq-loadgen"}},
		Spec: batchv1.JobSpec{
			BackoffLimit: &backoff,
			Template: corev1.PodTemplateSpec{
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "main", Image: "busybox:1.36"}},
				},
			},
		},
	}
}

func check(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "kq-loadgen: %s: %v\n", what, err)
		os.Exit(1)
	}
}
