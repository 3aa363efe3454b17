#include "cmd/app.hpp"

int main(int argc, char** argv) { return kq::cmd::main(argc, argv); }
