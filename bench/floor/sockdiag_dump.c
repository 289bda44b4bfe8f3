// The kernel's part of `ss -tan`, alone: both TCP families dumped through sock_diag on two
// threads (as `conn-exporter connections --no-owners` does), no parsing beyond counting, no
// output. Usage: sockdiag_dump [RUNS]; prints the wall time of each run. Built and run by
// bench/floor.sh.
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
static void* dump(void*a){ int fam=(long)a;
  int fd=socket(AF_NETLINK,SOCK_RAW|SOCK_CLOEXEC,NETLINK_SOCK_DIAG);
  struct {struct nlmsghdr h; struct inet_diag_req_v2 r;} req={0};
  req.h.nlmsg_len=sizeof req; req.h.nlmsg_type=SOCK_DIAG_BY_FAMILY; req.h.nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP;
  req.r.sdiag_family=fam; req.r.sdiag_protocol=IPPROTO_TCP; req.r.idiag_states=~0u;
  send(fd,&req,sizeof req,0); char*buf=malloc(65536); long n=0;
  for(;;){ int len=recv(fd,buf,65536,0); struct nlmsghdr*h=(void*)buf;
    for(;NLMSG_OK(h,len);h=NLMSG_NEXT(h,len)){ if(h->nlmsg_type==NLMSG_DONE){close(fd);return (void*)n;} n++; } } }
int main(int argc,char**argv){ int runs=argc>1?atoi(argv[1]):1; for(int i=0;i<runs;i++){ double t=now(); pthread_t a; pthread_create(&a,0,dump,(void*)AF_INET6); long v4=(long)dump((void*)AF_INET); void*v6; pthread_join(a,&v6); printf("both families on two threads: %.2f ms (%ld + %ld)\n",now()-t,v4,(long)v6);} }
