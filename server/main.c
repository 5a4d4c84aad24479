/* main.c -- latlab-server entry point (placeholder until the server lands). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("latlab-server %s\n", LATLAB_VERSION);
		return 0;
	}
	printf("usage: latlab-server [options]\n");
	return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
