/* pcapw.c - pcap writer over libpcap (pcapw.h). */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include "pcapw.h"

struct nc_pcapw {
	pcap_t *dead;
	pcap_dumper_t *dump;
};

struct nc_pcapw *nc_pcapw_open(const char *path)
{
	struct nc_pcapw *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->dead = pcap_open_dead(DLT_EN10MB, 65535);
	w->dump = w->dead ? pcap_dump_open(w->dead, path) : NULL;
	if (!w->dump) {
		fprintf(stderr, "pcap: cannot write %s: %s\n", path,
			w->dead ? pcap_geterr(w->dead) : "out of memory");
		if (w->dead)
			pcap_close(w->dead);
		free(w);
		return NULL;
	}
	return w;
}

void nc_pcapw_write(struct nc_pcapw *w, const uint8_t *frame, uint32_t len)
{
	struct pcap_pkthdr h;

	gettimeofday(&h.ts, NULL);
	h.caplen = len;
	h.len = len;
	pcap_dump((u_char *)w->dump, &h, frame);
	pcap_dump_flush(w->dump);
}

void nc_pcapw_close(struct nc_pcapw *w)
{
	if (!w)
		return;
	pcap_dump_close(w->dump);
	pcap_close(w->dead);
	free(w);
}
