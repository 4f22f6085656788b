// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl metrics and vgpuctl serve: the counters and knobs of every parent
 * and vGPU for Prometheus (metrics.c formats them). metrics prints them
 * once, or replaces --output FILE atomically (a temporary file in the same
 * directory renamed over it, as node_exporter's textfile collector wants);
 * serve answers GET /metrics over HTTP with libmicrohttpd until SIGTERM or
 * SIGINT. Without vgpu.ko both report vgpu_module_loaded 0: a scrape of an
 * unloaded module is an answer, not an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <microhttpd.h>

#include "vgpuctl.h"

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* The metrics now, or NULL with a message. */
static char *collect(size_t *len)
{
	struct model m;
	char *text;
	int ret;

	ret = model_load(&m);
	if (ret && ret != -ENOENT) {
		error_msg("cannot read sysfs: %s", strerror(-ret));
		return NULL;
	}
	text = metrics_render(ret ? NULL : &m, clock_now_ns(CLOCK_BOOTTIME),
			      clock_now_ns(CLOCK_REALTIME), len);
	if (!ret)
		model_free(&m);
	if (!text)
		error_msg("out of memory");
	return text;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Replace @path by @len bytes of @buf: readers see the old or the new file. */
static int replace_file(const char *path, const char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	char tmp[4096];
	int fd, ret;

	/* DIR/.NAME.XXXXXX beside DIR/NAME: rename() stays in one file system. */
	if (slash)
		ret = path_fmt(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX",
			       (int)(slash - path), path, slash + 1);
	else
		ret = path_fmt(tmp, sizeof(tmp), ".%s.XXXXXX", path);
	if (ret)
		return ret;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, buf, len);
	if (!ret && fchmod(fd, 0644))
		ret = -errno;
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *output = NULL;
	size_t len;
	char *text;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			puts("Usage: vgpuctl metrics [--output FILE]");
			return EXIT_OK;
		default:
			return bad_option(argv);
		}
	}
	if (optind < argc) {
		error_msg("metrics: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (output && !*output) {
		error_msg("metrics: --output needs a file name");
		return EXIT_USAGE;
	}
	text = collect(&len);
	if (!text)
		return EXIT_FAIL;
	if (output) {
		ret = replace_file(output, text, len);
		if (ret)
			error_msg("metrics: cannot write %s: %s", output,
				  strerror(-ret));
	} else {
		ret = fwrite(text, 1, len, stdout) == len && !fflush(stdout) ?
		      0 : -EIO;
		if (ret)
			error_msg("metrics: cannot write the output");
	}
	free(text);
	return ret ? EXIT_FAIL : EXIT_OK;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int code,
			      char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				code == MHD_HTTP_OK ? CONTENT_TYPE :
				"text/plain; charset=utf-8");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_msg(struct MHD_Connection *conn,
				  unsigned int code, const char *msg)
{
	return answer(conn, code, (char *)msg, strlen(msg),
		      MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	static int first;
	size_t len;
	char *text;

	(void)cls;
	(void)version;
	(void)upload;
	/* Called once with the headers, then for the body: answer then. */
	if (!*state) {
		*state = &first;
		return MHD_YES;
	}
	if (*upload_len)
		return answer_msg(conn, MHD_HTTP_BAD_REQUEST,
				  "no request body expected\n");
	if (strcmp(url, "/metrics"))
		return answer_msg(conn, MHD_HTTP_NOT_FOUND,
				  "not found: the metrics are at /metrics\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return answer_msg(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method not allowed\n");
	text = collect(&len);
	if (!text)
		return answer_msg(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "cannot read the vgpu sysfs tree\n");
	return answer(conn, MHD_HTTP_OK, text, len, MHD_RESPMEM_MUST_FREE);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct sockaddr_storage ss;
	const char *listen = NULL;
	struct MHD_Daemon *d;
	unsigned int port, flags;
	sigset_t stop;
	int c, sig;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 'h':
			puts("Usage: vgpuctl serve --listen ADDR:PORT");
			return EXIT_OK;
		default:
			return bad_option(argv);
		}
	}
	if (optind < argc) {
		error_msg("serve: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!listen) {
		error_msg("serve: --listen ADDR:PORT is required (e.g. 127.0.0.1:9464)");
		return EXIT_USAGE;
	}
	if (listen_parse(listen, &ss, &port)) {
		error_msg("serve: bad --listen '%s': want IPV4:PORT or [IPV6]:PORT, port 1-65535",
			  listen);
		return EXIT_USAGE;
	}
	/* Blocked before the server's thread starts, so only sigwait() sees them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	d = MHD_start_daemon(flags, port, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30U,
			     MHD_OPTION_END);
	if (!d) {
		error_msg("serve: cannot listen on %s: %s", listen,
			  errno ? strerror(errno) : "the HTTP server did not start");
		return EXIT_FAIL;
	}
	fprintf(stderr, "vgpuctl: serving metrics on http://%s/metrics\n",
		listen);
	while (sigwait(&stop, &sig))
		;
	MHD_stop_daemon(d);
	return EXIT_OK;
}
