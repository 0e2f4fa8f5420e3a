#include "cli/app.h"

int main(int argc, char** argv) { return ipfskit::cli::run(argc, argv); }
