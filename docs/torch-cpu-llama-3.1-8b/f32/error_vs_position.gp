# ropecheck error plot; regenerate with: gnuplot error_vs_position.gp
set terminal pngcairo size 1400,800 font ',11'
set output 'error_vs_position.png'
set logscale x 2
set logscale y 10
set format x '2^{%L}'
set format y '10^{%L}'
set xtics 16
set xlabel 'position m'
set ylabel 'max |(y - expected) pair| / (a |x pair|) per position bucket; 0 drawn at 1e-18'
set title 'ropecheck grade: y_f32.safetensors against v_f32.safetensors (f32, preset llama-3.1-8b; bound: pipeline f32)' noenhanced
set key outside right top noenhanced
set grid
set xrange [1:*]
set yrange [5e-19:10]
set arrow from graph 0, first 0.001 to graph 1, first 0.001 nohead dt 2 lc rgb 'gray40'
set label 'error 0.001' at graph 0.01, first 0.0015 tc rgb 'gray40'
set arrow from graph 0, first 0.01 to graph 1, first 0.01 nohead dt 2 lc rgb 'gray40'
set label 'error 0.01' at graph 0.01, first 0.015 tc rgb 'gray40'
plot 'error_vs_position.dat' using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 lc rgb '#4e79a7' dt 1 title 'kernel', \
     'error_vs_position.dat' using 1:3 with linespoints pt 7 ps 0.4 lw 1.5 lc rgb '#f28e2b' dt 1 title 'elementwise:f32 (closest pipeline)'
set terminal svg size 1400,800 dynamic
set output 'error_vs_position.svg'
replot
