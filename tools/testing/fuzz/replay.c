// SPDX-License-Identifier: GPL-2.0-only
/*
 * The replay driver of the fuzz targets (make regress): replays files and
 * directories through a target's fuzz_one_input(), one forked child per
 * file, and prints one TAP result per file and a "# Totals:" line;
 * "--write-seeds DIR" writes the target's seed corpus, "-v" describes each
 * input.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay.h"

static unsigned int n_pass, n_fail, verbose;

static int replay_child(const char *path)
{
	FILE *f = fopen(path, "rb");
	__u8 *buf;
	long len;

	if (!f || fseek(f, 0, SEEK_END))
		return 2;
	len = ftell(f);
	if (len < 0 || fseek(f, 0, SEEK_SET))
		return 2;
	buf = malloc(len + 1);
	if (!buf || fread(buf, 1, len, f) != (size_t)len)
		return 2;
	fclose(f);
	fuzz_one_input(buf, len);
	free(buf);
	if (verbose)
		fuzz_describe(path);
	return 0;
}

static void replay_file(const char *path)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (!pid)
		exit(replay_child(path));
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	if (WIFEXITED(status) && !WEXITSTATUS(status)) {
		n_pass++;
		printf("ok %u %s\n", n_pass + n_fail, path);
	} else {
		n_fail++;
		printf("not ok %u %s\n", n_pass + n_fail, path);
	}
}

static void replay_path(const char *path)
{
	struct dirent **ents;
	struct stat st;
	char *sub;
	int n, i;

	if (stat(path, &st))
		return;
	if (!S_ISDIR(st.st_mode)) {
		replay_file(path);
		return;
	}
	n = scandir(path, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' &&
		    asprintf(&sub, "%s/%s", path, ents[i]->d_name) > 0) {
			replay_path(sub);
			free(sub);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

int main(int argc, char **argv)
{
	int i;

	if (argc == 3 && !strcmp(argv[1], "--write-seeds"))
		return fuzz_write_seeds(argv[2]);
	printf("TAP version 13\n");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else
			replay_path(argv[i]);
	}
	printf("1..%u\n", n_pass + n_fail);
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:0 error:0\n",
	       n_pass, n_fail);
	return n_fail ? 1 : 0;
}
