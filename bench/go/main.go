// The benchmark endpoints and the GitHub-shaped route table on Go's net/http,
// standard library only (Go 1.19 has no method or parameter patterns in
// ServeMux, so a small segment tree routes the table). GOMAXPROCS=1 is set by
// the harness.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

const plaintext = "Hello, World!"

type message struct {
	Message string `json:"message"`
}

type echoBody struct {
	ID     uint64   `json:"id"`
	Name   string   `json:"name"`
	Tags   []string `json:"tags"`
	Active bool     `json:"active"`
}

// handler receives the values of the path's parameters, in order.
type handler func(w http.ResponseWriter, r *http.Request, params []string)

type node struct {
	static   map[string]*node
	param    *node
	handlers map[string]handler
}

func newNode() *node { return &node{static: map[string]*node{}, handlers: map[string]handler{}} }

func (n *node) insert(method, pattern string, h handler) {
	current := n
	for _, segment := range strings.Split(strings.Trim(pattern, "/"), "/") {
		if strings.HasPrefix(segment, "{") {
			if current.param == nil {
				current.param = newNode()
			}
			current = current.param
			continue
		}
		next, ok := current.static[segment]
		if !ok {
			next = newNode()
			current.static[segment] = next
		}
		current = next
	}
	current.handlers[method] = h
}

// lookup walks the tree; static segments win over parameters.
func (n *node) lookup(path string, params []string) (*node, []string) {
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return n, params
	}
	segment, rest := path, ""
	if i := strings.IndexByte(path, '/'); i >= 0 {
		segment, rest = path[:i], path[i:]
	}
	if next, ok := n.static[segment]; ok {
		if found, p := next.lookup(rest, params); found != nil {
			return found, p
		}
	}
	if n.param != nil {
		return n.param.lookup(rest, append(params, segment))
	}
	return nil, params
}

type router struct{ root *node }

func (rt router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var storage [8]string
	found, params := rt.root.lookup(r.URL.Path, storage[:0])
	if found == nil {
		http.NotFound(w, r)
		return
	}
	h, ok := found.handlers[r.Method]
	if !ok {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	h(w, r, params)
}

func writeText(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	io.WriteString(w, body)
}

func writeJSON(w http.ResponseWriter, value interface{}) {
	body, err := json.Marshal(value)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func main() {
	routes := flag.String("routes", "routes.txt", "the route table")
	flag.Parse()

	measured := map[string]handler{
		"GET /plaintext": func(w http.ResponseWriter, r *http.Request, _ []string) { writeText(w, plaintext) },
		"GET /json": func(w http.ResponseWriter, r *http.Request, _ []string) {
			writeJSON(w, message{Message: plaintext})
		},
		"POST /echo": func(w http.ResponseWriter, r *http.Request, _ []string) {
			var body echoBody
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				w.WriteHeader(http.StatusUnprocessableEntity)
				return
			}
			writeJSON(w, body)
		},
		"GET /users/{id}": func(w http.ResponseWriter, r *http.Request, params []string) {
			id, err := strconv.ParseUint(params[0], 10, 64)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			writeText(w, fmt.Sprintf("user %d", id))
		},
	}

	file, err := os.Open(*routes)
	if err != nil {
		log.Fatal(err)
	}
	root := newNode()
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		method, pattern, _ := strings.Cut(line, " ")
		h, ok := measured[line]
		if !ok {
			text := pattern
			h = func(w http.ResponseWriter, r *http.Request, _ []string) { writeText(w, text) }
		}
		root.insert(method, pattern, h)
	}
	file.Close()

	// Under callgrind, signals crash valgrind's bookkeeping of Go's threads:
	// the harness then ends the server with this request instead of SIGTERM.
	if os.Getenv("BENCH_EXIT_ROUTE") != "" {
		root.insert("POST", "/__exit", func(w http.ResponseWriter, r *http.Request, _ []string) { os.Exit(0) })
	}

	// Exit cleanly on SIGTERM so that a profiler wrapping the process writes its data.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-stop
		os.Exit(0)
	}()

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, router{root: root}))
}
