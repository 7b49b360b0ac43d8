/*
 * make check-memory preloads this beside the sanitizers' runtimes: nginx
 * unloads its dynamic modules when a process exits, before LeakSanitizer
 * looks, and the leaks' stacks would then show the module as "unknown
 * module".  Kept loaded, its frames have names.
 */

int
dlclose(void *handle)
{
    (void) handle;

    return 0;
}
