/*
 * knob_probe.c: a minimal device program for test_config_errors: it starts the library
 * (which reads the environment before main) and prints one knob's value.
 */
#include <stdio.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

int main(int argc, char **argv)
{
    char value[256];

    if (network_interface_get_default_instance() == NULL)
        return 1;
    if (argc > 1 && nsemu_get(argv[1], value, sizeof(value)) == NSAPI_ERROR_OK)
        printf("%s\n", value);
    return 0;
}
