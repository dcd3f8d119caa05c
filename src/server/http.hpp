#pragma once

// Debian's libcpp-httplib is compiled with OpenSSL, zlib and Brotli support. The header declares
// different classes without the same macros (Client and Request gain members), and code compiled
// against the smaller layout corrupts memory the library writes to. Every file that uses httplib
// includes it through here.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif
#include <httplib.h>
