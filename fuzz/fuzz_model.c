/* Fuzz target: the readers of model-file sections (the Isolation Forest and the baselines),
 * which must refuse any damaged input cleanly and leave nothing that can read out of bounds
 * later. The first byte picks the reader. */
#include "model/iforest.h"
#include "profile/profile.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    sn_error err;
    size_t used = 0;
    if (data[0] & 1) {
        sn_iforest *f = NULL;
        if (sn_iforest_read(&f, data + 1, size - 1, &used, &err) == SN_OK) {
            float x[SN_IFOREST_MAX_DIMS > 512 ? 512 : SN_IFOREST_MAX_DIMS];
            size_t d = sn_iforest_dims(f);
            if (d <= sizeof(x) / sizeof(x[0])) {
                memset(x, 0, sizeof(x));
                (void)sn_iforest_score(f, x);
            }
            sn_iforest_free(f);
        }
        return 0;
    }
    sn_profiles *p = NULL;
    if (sn_profiles_read(&p, NULL, data + 1, size - 1, &used, &err) == SN_OK) {
        sn_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.user_id = (sn_str){"u", 1};
        ev.department = (sn_str){"d", 1};
        ev.resource = (sn_str){"r", 1};
        ev.action = (sn_str){"read", 4};
        ev.success = 0;
        ev.ip.family = 4;
        sn_obs o;
        sn_judgement j;
        if (sn_profiles_observe(p, &ev, &o) == SN_OK) {
            sn_profiles_judge(p, &o, &j);
            (void)sn_profiles_update(p, &o, &j);
        }
        int from, to;
        sn_profiles_user_hours(p, 0, &from, &to);
        sn_profiles_free(p);
    }
    return 0;
}
