# `hybridnet train` then `hybridnet evaluate --json`: the accuracies must be identical.
file(REMOVE_RECURSE ${RUN})
execute_process(COMMAND ${HN} train --model resnet8 --plan xnor --subset 512 --test-subset 256
                        --epochs 1 --batch-size 64 --threads 1 --out ${RUN}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "train failed: ${err}")
endif()
# Not a terminal: per-epoch lines must still be printed.
if(NOT err MATCHES "epoch 1/1: loss [0-9.]+  train acc")
  message(FATAL_ERROR "no epoch line in train's output: ${err}")
endif()
file(READ ${RUN}/metrics.json metrics)
string(JSON stored GET "${metrics}" test_accuracy)
execute_process(COMMAND ${HN} evaluate --checkpoint ${RUN} --json --threads 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "evaluate failed: ${err}")
endif()
string(JSON evaluated GET "${out}" test_accuracy)
if(NOT stored STREQUAL evaluated)
  message(FATAL_ERROR "stored ${stored} != evaluated ${evaluated}")
endif()
message(STATUS "train/evaluate test_accuracy ${stored}")

# analyze the trained run: the tables, then JSON with a layer per profiled layer and the plots.
file(REMOVE_RECURSE ${RUN}-plots)
execute_process(COMMAND ${HN} analyze --checkpoint ${RUN} --samples 64 --threads 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "analyze failed: ${err}")
endif()
if(NOT out MATCHES "pca +Delta=1 kb=2")
  message(FATAL_ERROR "analyze printed no PCA selection: ${out}")
endif()
execute_process(COMMAND ${HN} analyze --checkpoint ${RUN} --samples 64 --threads 1 --variance 0.9
                        --json --plot ${RUN}-plots
                RESULT_VARIABLE rc OUTPUT_VARIABLE analysis ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "analyze --json failed: ${err}")
endif()
string(JSON layers LENGTH "${analysis}" layers)
string(JSON selections LENGTH "${analysis}" selections)
string(JSON first_k GET "${analysis}" layers 1 k)
string(JSON threshold GET "${analysis}" threshold)
if(NOT layers EQUAL 7 OR NOT selections EQUAL 9 OR first_k LESS 1 OR NOT threshold MATCHES "^0\\.9(0*[0-9]?)?$")
  message(FATAL_ERROR "analysis JSON: ${layers} layers, ${selections} selections, k ${first_k}, "
                      "T ${threshold}")
endif()
foreach(svg pca_components.svg binarization_metric.svg)
  file(READ ${RUN}-plots/${svg} text)
  if(NOT text MATCHES "^<svg .*</svg>")
    message(FATAL_ERROR "${svg} is not an SVG document")
  endif()
endforeach()
