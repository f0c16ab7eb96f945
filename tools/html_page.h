/* html_page.h - the page of `ratmem report --format=html`, embedded at build
 * time from tools/html/report.{html,css,js} by tools/html/embed.sh.  The
 * report's data goes between the head and the tail. */
#ifndef RATMEM_HTML_PAGE_H
#define RATMEM_HTML_PAGE_H
#include <stddef.h>

extern const unsigned char rm_html_head[];
extern const size_t rm_html_head_len;
extern const unsigned char rm_html_tail[];
extern const size_t rm_html_tail_len;

#endif
