// Serves the MCP listener (or stdio) over the in-memory test double, for
// debugging the transports with the official SDKs without a repository:
//   ipfskit-mcp-fake-server 127.0.0.1:0     prints the bound address
//   ipfskit-mcp-fake-server --stdio
// The interop tests run the real binary; this is a development aid.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "mcp/listener.h"
#include "mcp/stdio.h"
#include "mcp_fake_client.h"

int main(int argc, char** argv) {
  using namespace ipfskit::mcp;
  FakeClient client;
  client.daemon = true;
  client.files[raw_cid("hello").to_string()] = "hello";
  ServerOptions o;
  Server server(client, o);
  std::string arg = argc > 1 ? argv[1] : "127.0.0.1:0";
  if (arg == "--stdio") return serve_stdio(server, 0, 1);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ListenerOptions lo;
  lo.address = arg;
  Listener listener(server, lo);
  if (auto st = listener.listen(); !st) {
    std::fprintf(stderr, "Error: %s\n", st.error().message().c_str());
    return 1;
  }
  listener.start();
  std::printf("%s\n", listener.address().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  server.shutdown();
  listener.stop();
  return 0;
}
