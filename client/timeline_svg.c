/* timeline_svg.c -- drawing a laid-out timeline page as SVG by hand (fprintf): panels, lanes,
 * bars with tooltips, the zoom inset, the legend, and XML-escaped text. Lays nothing out
 * (timeline.c does) and opens no file. */
#include "timeline_page.h"

#include "units.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Tableau 10 without its red, which marks failures */
static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948",
                                      "#76b7b2", "#ff9da7", "#9c755f", "#bab0ac", "#1b9e77"};
#define TL_NCOLOURS (sizeof(palette) / sizeof(palette[0]))

/* ---- text ---- */

/* Length of the valid UTF-8 sequence at s that XML 1.0 allows, or 0. */
static size_t utf8_char(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;
	if (c < 0x80)
		return (c >= 0x20 || c == '\t') ? 1 : 0;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* Writes s as XML character data (also safe in a quoted attribute): markup characters
 * escaped, invalid UTF-8 and control bytes as '?', at most max_chars characters, then an
 * ellipsis when cut. */
static void xml_text(FILE *f, const char *s, size_t max_chars)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	for (size_t k = 0; *u; k++) {
		if (k == max_chars) {
			fputs("\xe2\x80\xa6", f);
			return;
		}
		size_t n = utf8_char(u);
		switch (n ? *u : 0) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case 0:
			fputc('?', f);
			n = 1;
			break;
		default:
			fwrite(u, 1, n, f);
		}
		u += n;
	}
}

/* Number of characters xml_text would take from s (for width estimates). */
static size_t text_chars(const char *s)
{
	size_t k = 0;
	for (const unsigned char *u = (const unsigned char *)s; *u; k++) {
		size_t n = utf8_char(u);
		u += n ? n : 1;
	}
	return k;
}

/* The short name of a URL for the legend: its first path segment (how latlab-server names a
 * site: /naver, /naver/any/path), else its host; copied into buf (cut at cap).
 * "http://127.0.0.1:8080/naver/x?latency=1s" gives "naver", "https://www.google.com/" gives
 * "www.google.com". */
void tl_url_short(const char *url, char *buf, size_t cap)
{
	const char *s = strstr(url, "://");
	s = s ? s + 3 : url;
	size_t len = strcspn(s, "/?#");
	if (s[len] == '/') {
		const char *seg = s + len + strspn(s + len, "/");
		size_t seglen = strcspn(seg, "/?#");
		if (seglen) {
			s = seg;
			len = seglen;
		}
	}
	if (len >= cap)
		len = cap - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
}

const char *tl_colour(size_t k)
{
	return palette[k % TL_NCOLOURS];
}

/* ---- writing ---- */

static void write_lane_label(FILE *f, const struct panel *p, size_t li, double y)
{
	const struct lane *l = &p->lanes[li];
	const struct req_result *q = &p->run->results[p->bars[l->first].idx];
	fprintf(f, "<text class=\"lanelabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
	        TL_LEFT - 8, y);
	switch (p->run->mode) {
	case MODE_SEQUENTIAL:
		fputs(p->nlanes == 1 ? "main thread" : "worker", f);
		if (p->nlanes > 1)
			fprintf(f, " %zu", li + 1);
		break;
	case MODE_THREADS:
		fprintf(f, "thread %zu", li + 1);
		if (q->tid > 0)
			fprintf(f, " (tid %ld)", (long)q->tid);
		break;
	case MODE_PROCESSES:
		fprintf(f, "process %zu", li + 1);
		if (q->pid > 0)
			fprintf(f, " (pid %ld)", (long)q->pid);
		break;
	case MODE_ASYNC:
		fputs("event loop", f);
		if (p->nlanes > 1)
			fprintf(f, " %zu", li + 1);
		if (q->tid > 0)
			fprintf(f, " (tid %ld)", (long)q->tid);
		break;
	default:
		fprintf(f, "worker %lu", (unsigned long)q->worker);
	}
	fputs("</text>\n", f);
}

/* <title>: what a pointer over a bar shows */
static void write_tooltip(FILE *f, const struct req_result *q, const struct bar *b,
                          const struct tl_page *pg)
{
	const char *const *urls = pg->nurls ? pg->urls : NULL;
	size_t nurls = pg->nurls;
	int failed = q->err != ERR_NONE;
	fprintf(f, "<title>#%lu ", (unsigned long)q->index);
	if (urls && q->url_index < nurls)
		xml_text(f, urls[q->url_index], 200);
	else
		fprintf(f, "URL %lu", (unsigned long)q->url_index + 1);
	fprintf(f, " \xe2\x80\x94 %.1f ms", (b->end - b->start) / 1000.0);
	if (q->delay_us >= 0)
		fprintf(f, " (%.1f ms injected)", q->delay_us / 1000.0);
	if (q->status)
		fprintf(f, ", status %d", q->status);
	if (failed) {
		fputs(", failed", f);
		if (q->errmsg[0]) {
			fputs(": ", f);
			xml_text(f, q->errmsg, sizeof(q->errmsg));
		}
	}
	fputs("</title>", f);
}

/* One request's bar on axis a; the inset's copy (zoom) has no data attributes or tooltip. */
static void write_bar(FILE *f, const struct panel *p, const struct lane *l, size_t li,
                      const struct bar *b, const struct axis *a, int zoom, const struct tl_page *pg)
{
	const struct req_result *q = &p->run->results[b->idx];
	double x = x_of(a, b->start), w = x_of(a, b->end) - x;
	if (w < 1.0)
		w = 1.0;
	double pad = p->row_h >= 8 ? 1.0 : p->row_h >= 3 ? 0.5 : 0.0;
	double y = l->y + b->row * p->row_h + pad, h = p->row_h - 2 * pad;
	if (h < 1.0)
		h = 1.0;
	int failed = q->err != ERR_NONE;
	if (zoom)
		fprintf(f, "<rect class=\"zreq\"");
	else
		fprintf(f, "<rect class=\"req%s\" data-lane=\"%zu\" data-row=\"%lu\"",
		        failed ? " fail" : "", li, (unsigned long)b->row);
	fprintf(f, " x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"", x, y, w, h,
	        tl_colour(q->url_index < pg->nlegend ? pg->site_of[q->url_index] : q->url_index));
	if (failed)
		fprintf(f, " stroke=\"%s\" stroke-width=\"1.2\"", TL_FAIL);
	else if (h >= 6 && w >= 4) /* a hairline keeps neighbours of one colour apart */
		fputs(" stroke=\"#ffffff\" stroke-width=\"0.6\"", f);
	if (zoom) {
		fputs("/>\n", f);
	} else {
		fputc('>', f);
		write_tooltip(f, q, b, pg);
		fputs("</rect>\n", f);
	}
	if (failed)
		fprintf(f,
		        "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
		        "fill=\"url(#hatch)\" pointer-events=\"none\"/>\n",
		        zoom ? "zhatch" : "hatch", x, y, w, h);
}

static void write_panel_title(FILE *f, const struct panel *p, const struct panel *first)
{
	const struct run *r = p->run;
	char wall[32], ideal_s[32];
	fprintf(f,
	        "<text class=\"ptitle\" x=\"10\" y=\"%.1f\"><tspan font-weight=\"bold\">%s</tspan>",
	        p->y + 18, mode_name(r->mode));
	unsigned c = r->concurrency;
	switch (r->mode) {
	case MODE_SEQUENTIAL:
		fprintf(f, " \xc2\xb7 %zu requests, one at a time", r->n);
		break;
	case MODE_THREADS:
		fprintf(f, " \xc2\xb7 %zu requests on %u threads", r->n,
		        c ? c : (unsigned)p->nlanes);
		break;
	case MODE_PROCESSES:
		fprintf(f, " \xc2\xb7 %zu requests on %u processes", r->n,
		        c ? c : (unsigned)p->nlanes);
		break;
	case MODE_ASYNC:
		fprintf(f, " \xc2\xb7 %zu requests, up to %u in flight on one thread", r->n,
		        c ? c : (unsigned)r->n);
		break;
	default:
		fprintf(f, " \xc2\xb7 %zu requests", r->n);
	}
	fprintf(f, " \xc2\xb7 wall %s", units_format_duration(r->wall_us, wall, sizeof(wall)));
	uint64_t ideal = 0;
	if (run_ideal_us(r, &ideal) == 0 && r->wall_us > 0)
		fprintf(f, " \xc2\xb7 efficiency %.0f%% (ideal %s)", 100.0 * ideal / r->wall_us,
		        units_format_duration(ideal, ideal_s, sizeof(ideal_s)));
	else
		fputs(" \xc2\xb7 efficiency unknown", f);
	if (p != first && first->run->mode == MODE_SEQUENTIAL && r->wall_us > 0 &&
	    first->run->wall_us > 0)
		fprintf(f,
		        " \xc2\xb7 <tspan font-weight=\"bold\">%.1f\xc3\x97 faster</tspan> than "
		        "sequential",
		        (double)first->run->wall_us / r->wall_us);
	fputs("</text>\n", f);
}

static void write_bars(FILE *f, const struct panel *p, const struct axis *a, int zoom,
                       const struct tl_page *pg)
{
	fputs("<g>\n", f);
	for (size_t i = 0; i < p->nlanes; i++) {
		const struct lane *l = &p->lanes[i];
		for (size_t j = 0; j < l->count; j++)
			write_bar(f, p, l, i, &p->bars[l->first + j], a, zoom, pg);
	}
	fputs("</g>\n", f);
}

static void write_lane_stripes(FILE *f, const struct panel *p, const struct axis *a,
                               const char *cls)
{
	for (size_t i = 0; i < p->nlanes; i++)
		fprintf(f,
		        "<rect class=\"%s\" x=\"%.1f\" y=\"%.2f\" width=\"%.1f\" height=\"%.2f\" "
		        "fill=\"%s\"/>\n",
		        cls, a->x0, p->lanes[i].y, a->w, p->lanes[i].h,
		        i % 2 ? "#f7f7f7" : "#ececec");
}

static void write_gridline(FILE *f, double x, double top, double bottom, const char *ink)
{
	fprintf(f,
	        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
	        "stroke-width=\"1\"/>\n",
	        x, top - 2, x, bottom + 3, ink);
}

static void write_tick(FILE *f, const struct axis *a, unsigned k, double y)
{
	fprintf(f,
	        "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.*f</text>\n",
	        tick_x(a, k), y, a->decimals, a->step * k / a->unit);
}

static void write_wall_line(FILE *f, const struct axis *a, uint64_t wall_us, double top,
                            double bottom)
{
	fprintf(f,
	        "<line class=\"wall\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	        "stroke=\"#222\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n",
	        x_of(a, wall_us), top - 4, x_of(a, wall_us), bottom + 2);
}

/* "done at T" beside the dashed line at wall_us: right of it, or left when no room */
static void write_wall_label(FILE *f, const struct axis *a, uint64_t wall_us, double top)
{
	char wall[32];
	double x = x_of(a, wall_us);
	int right = x + 110 < TL_WIDTH;
	fprintf(f,
	        "<text class=\"walllabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">done at "
	        "%s</text>\n",
	        right ? x + 5 : x - 5, top + 13, right ? "start" : "end",
	        units_format_duration(wall_us, wall, sizeof(wall)));
}

/* The inset of a short run: the same bars on the run's own axis, right of where it ended
 * on the shared axis, framed, with a dashed frame around the region it magnifies. */
static void write_zoom(FILE *f, const struct panel *p, const struct axis *a,
                       const struct tl_page *pg)
{
	const struct axis *z = &p->z;
	double top = p->lanes_y, bottom = p->lanes_y + p->lanes_h;
	double src_r = x_of(a, (uint64_t)(z->ms * 1000));
	fprintf(f, "<g class=\"zoom\">\n");
	fprintf(f,
	        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
	        "stroke=\"%s\" stroke-width=\"1.2\" stroke-dasharray=\"3 2\"/>\n",
	        a->x0 - 1, top - 5, src_r - a->x0 + 2, bottom - top + 10, TL_ZOOM_INK);
	fprintf(f,
	        "<path d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\" stroke=\"%s\" "
	        "stroke-width=\"0.8\" stroke-opacity=\"0.6\" fill=\"none\"/>\n",
	        src_r + 1, top - 5, z->x0 - 10, top - 5, src_r + 1, bottom + 5, z->x0 - 10,
	        bottom + 5, TL_ZOOM_INK);
	fprintf(f,
	        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" "
	        "stroke=\"%s\" stroke-width=\"1.2\"/>\n",
	        z->x0 - 10, top - 5, z->w + 20, bottom - top + 10, TL_ZOOM_INK);
	write_lane_stripes(f, p, z, "zlane");
	for (unsigned k = 0; k < z->nticks; k++) {
		write_gridline(f, tick_x(z, k), top, bottom, k == 0 ? "#555" : "#c8c8c8");
		write_tick(f, z, k, bottom + 17);
	}
	write_bars(f, p, z, 1, pg);
	for (size_t i = 0; i < p->nlanes; i++)
		tl_draw_states(f, p, i, z);
	if (p->run->wall_us > 0)
		write_wall_line(f, z, p->run->wall_us, top, bottom);
	fprintf(f,
	        "<text class=\"zoomnote\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
	        "zoomed \xc3\x97%.0f: this run on its own axis (%s)</text>\n</g>\n",
	        z->x0 + z->w / 2, bottom + 31, a->ms / z->ms, z->unit > 1 ? "s" : "ms");
}

static void write_panel(FILE *f, const struct panel *p, const struct panel *first,
                        const struct axis *a, const struct tl_page *pg)
{
	fprintf(f, "<g class=\"panel\" data-mode=\"%s\">\n", mode_name(p->run->mode));
	write_panel_title(f, p, first);
	double top = p->lanes_y, bottom = p->lanes_y + p->lanes_h;
	write_lane_stripes(f, p, a, "lane");
	if (p->nlanes == 0)
		fprintf(f,
		        "<text x=\"%.1f\" y=\"%.1f\" fill=\"#666\" font-style=\"italic\">(no "
		        "requests)</text>\n",
		        TL_LEFT + 8, top + 15);
	/* gridlines and tick labels, but not under an inset */
	for (unsigned k = 0; k < a->nticks; k++) {
		double x = tick_x(a, k);
		if (p->zoom && x > p->z.x0 - 70) /* its label would run into the inset's */
			break;
		write_gridline(f, x, top, bottom, k == 0 ? "#555" : "#c8c8c8");
		write_tick(f, a, k, bottom + 15);
	}
	/* lane labels, thinned when lanes are too thin to label each */
	double last = -1e9;
	for (size_t i = 0; i < p->nlanes; i++) {
		const struct lane *l = &p->lanes[i];
		double y = l->y + (l->h < TL_ROW_MAX ? l->h : TL_ROW_MAX) / 2 + 4;
		if (y - last < 13)
			continue;
		write_lane_label(f, p, i, y);
		last = y;
		if (l->rows > 1 && l->h >= 36) {
			fprintf(f,
			        "<text class=\"lanenote\" x=\"%.1f\" y=\"%.1f\" "
			        "text-anchor=\"end\">up to %lu requests at once</text>\n",
			        TL_LEFT - 8, y + 14, (unsigned long)l->rows);
			last = y + 14;
		}
	}
	write_bars(f, p, a, 0, pg);
	for (size_t i = 0; i < p->nlanes; i++)
		tl_draw_states(f, p, i, a);
	if (p->run->wall_us > 0)
		write_wall_line(f, a, p->run->wall_us, top, bottom);
	tl_draw_strips(f, p, a, pg->ncores, 1);
	tl_draw_persec(f, p, a);
	if (p->zoom) {
		write_zoom(f, p, a, pg);
		tl_draw_strips(f, p, &p->z, pg->ncores, 0);
	}
	/* where this run ended, beside its dashed line (the inset's, when zoomed) */
	if (p->run->wall_us > 0)
		write_wall_label(f, p->zoom ? &p->z : a, p->run->wall_us, top);
	fputs("</g>\n", f);
}

/* Legend entries: one per site up to TL_LEGEND_MAX (named by its first URL), then "failed",
 * then the worker states. */
double tl_legend(FILE *f, double y, const struct tl_page *pg)
{
	const char *const *site_urls = NULL;
	const char *names[TL_LEGEND_MAX];
	size_t nurls = pg->nsites;
	if (pg->nurls) {
		for (size_t k = 0; k < nurls && k < TL_LEGEND_MAX; k++)
			names[k] = pg->urls[pg->site_url[k]];
		site_urls = names;
	}
	const char *const *urls = site_urls;
	double x = 10, row_h = 20;
	size_t shown = nurls > TL_LEGEND_MAX ? TL_LEGEND_MAX - 1 : nurls;
	for (size_t i = 0; i <= shown + (nurls > shown); i++) {
		char shortname[48] = "", label[64];
		const char *url = NULL;
		int is_fail = i == shown + (nurls > shown);
		int is_more = !is_fail && i == shown;
		if (is_fail) {
			snprintf(label, sizeof(label), "failed request");
		} else if (is_more) {
			snprintf(label, sizeof(label), "+%zu more sites (colours repeat)",
			         nurls - shown);
		} else if (urls && urls[i]) {
			url = urls[i];
			tl_url_short(url, shortname, sizeof(shortname));
			snprintf(label, sizeof(label), "%s", shortname);
		} else {
			snprintf(label, sizeof(label), "URL %zu", i + 1);
		}
		size_t ulen = url ? text_chars(url) : 0;
		if (ulen > 48)
			ulen = 49;
		double w = 22 + 7.5 * text_chars(label) + (url ? 6.2 * ulen + 10 : 0) + 22;
		if (x > 10 && x + w > TL_WIDTH - 10) {
			x = 10;
			y += row_h;
		}
		if (f) {
			if (is_fail)
				fprintf(f,
				        "<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"12\" "
				        "fill=\"#bbb\" "
				        "stroke=\"%s\" stroke-width=\"1.2\"/><rect x=\"%.1f\" "
				        "y=\"%.1f\" "
				        "width=\"16\" height=\"12\" fill=\"url(#hatch)\"/>\n",
				        x, y - 10, TL_FAIL, x, y - 10);
			else if (!is_more)
				fprintf(f,
				        "<rect class=\"swatch\" x=\"%.1f\" y=\"%.1f\" width=\"16\" "
				        "height=\"12\" fill=\"%s\"/>\n",
				        x, y - 10, tl_colour(i));
			fprintf(f, "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\"><tspan%s>", x + 22,
			        y, is_more ? "" : " font-weight=\"bold\"");
			xml_text(f, label, 60);
			fputs("</tspan>", f);
			if (url) {
				fputs(" <tspan fill=\"#666\">", f);
				xml_text(f, url, 48);
				fputs("</tspan>", f);
			}
			fputs("</text>\n", f);
		}
		x += w;
	}
	return tl_state_legend(f, y + row_h, pg->persec);
}

void tl_draw(FILE *f, const struct tl_page *pg)
{
	fprintf(f,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
	        "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	        "font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" font-size=\"12\">\n"
	        "<title>latlab timeline</title>\n"
	        "<style>.tick{font-size:11px;fill:#555}.lanelabel{font-size:12px;fill:#222}"
	        ".lanenote{font-size:10px;fill:#777}.ptitle{font-size:14px;fill:#111}"
	        ".legend{font-size:12px;fill:#222}.striplabel{font-size:12px;fill:#222}.walllabel{"
	        "font-size:12px;fill:#222;font-weight:"
	        "bold}</style>\n"
	        "<defs><pattern id=\"hatch\" width=\"5\" height=\"5\" "
	        "patternUnits=\"userSpaceOnUse\" "
	        "patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"5\" "
	        "stroke=\"%s\" stroke-width=\"2\"/></pattern></defs>\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
	        "<text x=\"10\" y=\"28\" font-size=\"20\" font-weight=\"bold\" "
	        "fill=\"#111\">latlab "
	        "timeline</text>\n"
	        "<text x=\"10\" y=\"48\" fill=\"#444\">One bar per request, from its start to its "
	        "end. One lane per worker (thread, process or event loop); requests that overlap "
	        "on one lane stack in sub-rows.</text>\n",
	        TL_WIDTH, pg->height, TL_WIDTH, pg->height, TL_FAIL);
	tl_legend(f, pg->legend_y, pg);
	for (size_t i = 0; i < pg->np; i++)
		write_panel(f, &pg->panels[i], &pg->panels[0], &pg->axis, pg);
	fprintf(f,
	        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">time since "
	        "the batch started (%s), the same axis in every panel</text>\n</svg>\n",
	        TL_LEFT + TL_PLOT_W / 2, pg->height - 10, pg->axis.unit > 1 ? "s" : "ms");
}
